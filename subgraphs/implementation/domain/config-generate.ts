/**
 * Approved PRD → bot configuration document (User Story 2.2). Pure and deterministic: the same PRD
 * always yields the same document, so its digest is stable.
 */
import type { BotConfigDocument } from './config-schema.ts';
import { itemsOf, parseSpeed, SUPPORTED_INTEGRATIONS, type PrdAssessment, type ProductType, type SupportedIntegration } from './prd-engine.ts';

export interface PrdForGeneration {
  title: string;
  productType: ProductType;
  assessment: PrdAssessment;
}

export interface GeneratedConfig {
  document: BotConfigDocument;
  /** Integrations the PRD names that the platform has no connector for (need building). */
  unsupportedIntegrations: string[];
  /** One line per rule applied, for provenance and the generation report. */
  notes: string[];
  /**
   * Share of PRD items (use cases and named integrations) the rules mapped to a tool or connector,
   * 0–1 (1 when there are none): the conversion's confidence.
   */
  coverage: number;
}

/** Use-case keywords → tools the runtime offers. `knowledge_search` is always on. */
const TOOL_RULES: ReadonlyArray<{ pattern: RegExp; name: string; description: string }> = [
  { pattern: /\b(?:order|orders|tracking|track|delivery|shipment|shipping)\b/i, name: 'order_lookup', description: 'Looks up order status and tracking.' },
  { pattern: /\b(?:return|returns|refund|refunds|exchange)\b/i, name: 'returns_processing', description: 'Starts returns, exchanges and refunds.' },
  { pattern: /\b(?:appointment|appointments|booking|book|schedule|reschedule|reservation)\b/i, name: 'appointment_booking', description: 'Books and reschedules appointments.' },
  { pattern: /\b(?:payment|payments|billing|invoice|invoices|subscription|charge)\b/i, name: 'billing_lookup', description: 'Reads invoices, payments and subscriptions.' },
  { pattern: /\b(?:account|password|login|sign in|profile)\b/i, name: 'account_management', description: 'Helps with account access and profile changes.' },
  { pattern: /\b(?:lead|leads|demo|quote|pricing|sales)\b/i, name: 'lead_capture', description: 'Captures leads and books sales follow-ups.' },
];

const escalationActionOf = (rule: string): BotConfigDocument['escalationRules'][number]['action'] =>
  /\bticket\b/i.test(rule) ? 'CREATE_TICKET' : /\b(?:notify|alert|inform)\b/i.test(rule) ? 'NOTIFY_TEAM' : 'HANDOFF_TO_HUMAN';

const TARGET = /\b(?:to|hand(?:s)? (?:off|over) to|escalate to|transfer to|notify|alert)\s+(?:the\s+|a\s+|an\s+)?([a-z][a-z -]{1,60}?(?:team|agent|specialist|supervisor|manager|desk|support|staff|operator|representative))\b/i;

const targetOf = (rule: string): string => TARGET.exec(rule)?.[1]?.trim().toLowerCase() ?? 'support agent';

/** "CSAT 4.5", "automation rate 80%", "first response under 5 seconds" → name, target, unit. */
export const parseKpi = (text: string): { name: string; target: number; unit: string | null } => {
  const match = /(-?\d+(?:\.\d+)?)\s*(%|percent|seconds?|secs?|s|minutes?|mins?|hours?|h|days?|\/5|points?)?/i.exec(text);
  const target = match ? Number(match[1]) : 0;
  const rawUnit = match?.[2]?.toLowerCase() ?? null;
  const unit = rawUnit === null ? null : rawUnit === 'percent' ? '%' : rawUnit.startsWith('sec') || rawUnit === 's' ? 'seconds' : rawUnit.startsWith('min') ? 'minutes' : rawUnit.startsWith('h') ? 'hours' : rawUnit.startsWith('day') ? 'days' : rawUnit;
  const name = (match ? text.slice(0, match.index) : text).replace(/\b(?:of|at|to|under|below|above|over|at least|≥|<=|>=|<|>|:|=)\s*$/i, '').trim() || text.trim();
  return { name, target, unit };
};

const VOICE_STYLE = /\b(warm|friendly|professional|calm|energetic|formal|casual|empathetic|neutral|cheerful)\b/i;

export const generateConfig = (prd: PrdForGeneration): GeneratedConfig => {
  const { assessment, productType } = prd;
  const objectives = itemsOf(assessment, 'OBJECTIVES');
  const useCases = itemsOf(assessment, 'USE_CASES');
  const edgeCases = itemsOf(assessment, 'EDGE_CASES');
  const escalations = itemsOf(assessment, 'ESCALATION_RULES');
  const notes: string[] = [];

  const tools: BotConfigDocument['tools'] = [{ name: 'knowledge_search', enabled: true, description: 'Answers from the knowledge base.' }];
  const unmappedUseCases = useCases.filter((useCase) => !TOOL_RULES.some((r) => r.pattern.test(useCase)));
  for (const rule of TOOL_RULES) {
    const hit = useCases.find((useCase) => rule.pattern.test(useCase));
    if (hit) {
      tools.push({ name: rule.name, enabled: true, description: rule.description });
      notes.push(`tool ${rule.name} enabled for use case "${hit}"`);
    }
  }

  const integrations: BotConfigDocument['integrations'] = [];
  const unsupportedIntegrations: string[] = [];
  if (productType === 'CHATBOT') {
    for (const item of itemsOf(assessment, 'INTEGRATIONS')) {
      const provider = SUPPORTED_INTEGRATIONS.find((name) => item.toLowerCase().includes(name));
      if (provider && !integrations.some((i) => i.provider === provider)) integrations.push({ provider: provider as SupportedIntegration, enabled: true });
      else if (!provider) unsupportedIntegrations.push(item);
    }
    if (unsupportedIntegrations.length) notes.push(`no connector for: ${unsupportedIntegrations.join(', ')}`);
  }

  let voice: BotConfigDocument['voice'] = null;
  if (productType === 'VOICEBOT') {
    const text = itemsOf(assessment, 'VOICE')[0] ?? '';
    voice = { speed: parseSpeed(text) ?? 1, clarity: 0.8, style: VOICE_STYLE.exec(text)?.[1]?.toLowerCase() ?? 'neutral', backgroundSound: null };
    notes.push(`voice speed ${voice.speed}x, style ${voice.style}`);
  }

  const role = productType === 'VOICEBOT' ? 'voice agent' : 'chat assistant';
  const promptLines = [
    `You are the ${prd.title} ${role}.`,
    objectives.length ? `Your objectives: ${objectives.join('; ')}.` : '',
    useCases.length ? `You handle these conversations: ${useCases.join('; ')}.` : '',
    edgeCases.length ? `Handle these edge cases carefully: ${edgeCases.join('; ')}.` : '',
    escalations.length ? `Escalate to a person when: ${escalations.join('; ')}.` : '',
    productType === 'VOICEBOT' ? 'Keep answers short and spoken-friendly.' : 'Be concise and link to sources when you use the knowledge base.',
  ].filter(Boolean);

  const document: BotConfigDocument = {
    schemaVersion: 1,
    productType,
    // Voice needs low latency: the faster model; chat gets the stronger one.
    model: productType === 'VOICEBOT' ? 'gpt-3.5-turbo' : 'gpt-4',
    systemPrompt: promptLines.join('\n'),
    objectives,
    tools,
    integrations,
    voice,
    escalationRules: escalations.map((rule) => ({ trigger: rule, action: escalationActionOf(rule), target: targetOf(rule) })),
    kpis: itemsOf(assessment, 'KPIS').map(parseKpi),
    edgeCases,
  };
  notes.unshift(`model ${document.model} for ${productType}`);
  const total = useCases.length + (productType === 'CHATBOT' ? itemsOf(assessment, 'INTEGRATIONS').length : 0);
  const coverage = total === 0 ? 1 : Math.round(((total - unmappedUseCases.length - unsupportedIntegrations.length) / total) * 100) / 100;
  return { document, unsupportedIntegrations, notes, coverage };
};

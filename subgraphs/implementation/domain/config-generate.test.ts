import { generateConfig, parseKpi } from './config-generate.ts';
import { validateConfig } from './config-schema.ts';
import { assessPrd, judgeAnswer, type PrdAnswerRecord, type PrdSection, type ProductType } from './prd-engine.ts';

const prdOf = (productType: ProductType, answers: Array<[PrdSection, string]>) => ({
  title: 'Acme',
  productType,
  assessment: assessPrd(
    productType,
    answers.map(([section, text]): PrdAnswerRecord => ({ questionId: section.toLowerCase(), section, answer: text, ...judgeAnswer(section, text) })),
  ),
});

const common: Array<[PrdSection, string]> = [
  ['OBJECTIVES', 'Resolve order questions without an agent'],
  ['USE_CASES', 'track an order, start a return'],
  ['KPIS', 'automation rate 80%, first response under 5 seconds'],
  ['EDGE_CASES', 'customer has no order number: ask for email'],
  ['ESCALATION_RULES', 'when a refund is over $500 hand off to the billing team\nif the customer asks for a ticket, open a ticket for support'],
];

describe('PRD → config', () => {
  it('converts a chatbot PRD into a valid document', () => {
    const { document, unsupportedIntegrations, coverage } = generateConfig(prdOf('CHATBOT', [...common, ['INTEGRATIONS', 'Zendesk, Shopify, LegacyERP']]));
    // 2 use cases (both mapped to tools) + 3 integrations (1 without connector): 4 of 5.
    expect(coverage).toBe(0.8);
    expect(validateConfig(document)).toEqual([]);
    expect(document.model).toBe('gpt-4');
    expect(document.tools.map((t) => t.name)).toEqual(['knowledge_search', 'order_lookup', 'returns_processing']);
    expect(document.integrations).toEqual([{ provider: 'zendesk', enabled: true }, { provider: 'shopify', enabled: true }]);
    expect(unsupportedIntegrations).toEqual(['LegacyERP']);
    expect(document.escalationRules).toEqual([
      { trigger: 'when a refund is over $500 hand off to the billing team', action: 'HANDOFF_TO_HUMAN', target: 'billing team' },
      { trigger: 'if the customer asks for a ticket, open a ticket for support', action: 'CREATE_TICKET', target: 'support agent' },
    ]);
    expect(document.kpis).toEqual([{ name: 'automation rate', target: 80, unit: '%' }, { name: 'first response', target: 5, unit: 'seconds' }]);
    expect(document.voice).toBeNull();
    expect(document.systemPrompt.startsWith('You are the Acme chat assistant.')).toBe(true);
  });

  it('converts a voicebot PRD with its voice parameters', () => {
    const { document } = generateConfig(prdOf('VOICEBOT', [...common, ['VOICE', '1.2x, warm']]));
    expect(validateConfig(document)).toEqual([]);
    expect(document.voice).toEqual({ speed: 1.2, clarity: 0.8, style: 'warm', backgroundSound: null });
    expect(document.integrations).toEqual([]);
    expect(document.model).toBe('gpt-3.5-turbo');
  });

  it('is deterministic', () => {
    const prd = prdOf('CHATBOT', [...common, ['INTEGRATIONS', 'none']]);
    expect(generateConfig(prd)).toEqual(generateConfig(prd));
    // "none" names no integration; both use cases map: full coverage.
    expect(generateConfig(prd).coverage).toBe(1);
    const unmapped = prdOf('CHATBOT', [...common.map(([s, t]): [PrdSection, string] => (s === 'USE_CASES' ? [s, 'track an order, chat about the weather'] : [s, t])), ['INTEGRATIONS', 'none']]);
    expect(generateConfig(unmapped).coverage).toBe(0.5);
  });

  it('parses KPI targets and units', () => {
    expect(parseKpi('CSAT 4.5')).toEqual({ name: 'CSAT', target: 4.5, unit: null });
    expect(parseKpi('resolution rate at least 75 percent')).toEqual({ name: 'resolution rate', target: 75, unit: '%' });
  });
});

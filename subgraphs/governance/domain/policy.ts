import { createHmac } from 'node:crypto';
import { inputError } from '../../../platform/errors.ts';
import { detectJailbreak, detectPii, detectPromptInjection, detectRedactionMarkers, detectSecrets, detectTerms, isRedactionMarker, PII_TYPES, SECRET_TYPES, toxicityOf, type PiiType, type Span } from './detectors.ts';

export type PolicyRuleKind = 'PII' | 'SECRET' | 'PROMPT_INJECTION' | 'JAILBREAK' | 'BANNED_TOPIC' | 'TOXICITY' | 'LENGTH' | 'RATE';
export type PolicyPoint = 'INPUT' | 'PROCESSING' | 'OUTPUT' | 'INTERACTION';
export type PolicyAction = 'ALLOW' | 'WARN' | 'REDACT' | 'BLOCK' | 'ESCALATE';
export type RedactionStyle = 'MASK' | 'HASH';

export const RULE_KINDS: readonly PolicyRuleKind[] = ['PII', 'SECRET', 'PROMPT_INJECTION', 'JAILBREAK', 'BANNED_TOPIC', 'TOXICITY', 'LENGTH', 'RATE'];
export const POLICY_POINTS: readonly PolicyPoint[] = ['INPUT', 'PROCESSING', 'OUTPUT', 'INTERACTION'];

/** One rule of a policy. `key` is unique within the policy. */
export interface PolicyRule {
  key: string;
  kind: PolicyRuleKind;
  points: PolicyPoint[];
  action: PolicyAction;
  redaction: RedactionStyle;
  piiTypes: PiiType[];
  terms: string[];
  minLength: number | null;
  maxLength: number | null;
  toxicityThreshold: number;
  /** RATE: at most this many messages of the sender in the conversation per window (absent on older rules). */
  maxMessages?: number | null;
  /** RATE: the sliding window, in seconds. */
  windowSeconds?: number | null;
}

/** The conversation flow a rule at INTERACTION sees: when the sender's earlier messages of the conversation were sent (ms). */
export interface ConversationFlow {
  messageTimes: readonly number[];
  now: number;
}

/** Messages of the sender in the window ending now, this one included. */
export const messagesInWindow = (flow: ConversationFlow, windowSeconds: number): number => flow.messageTimes.filter((t) => t <= flow.now && flow.now - t < windowSeconds * 1000).length + 1;

/** The rule-bearing part of a policy, as evaluated. */
export interface PolicyBody {
  id: string;
  name: string;
  revision: number;
  enabled: boolean;
  appliesToRoles: string[];
  rules: PolicyRule[];
}

export interface RuleMatch {
  policyId: string;
  policyRevision: number;
  ruleKey: string;
  kind: PolicyRuleKind;
  action: PolicyAction;
  detectors: string[];
  count: number;
}

/** The outcome of evaluating policies on one text at one point. Holds no clear text of what matched. */
export interface PolicyEvaluation {
  point: PolicyPoint;
  outcome: PolicyAction;
  inputDigest: string;
  policyRevisions: Array<{ policyId: string; revision: number }>;
  matches: RuleMatch[];
  /** The text to pass on: REDACT spans replaced (null when blocked or escalated). */
  forwardText: string | null;
  /** The text safe to store and show: every PII and secret span replaced, whatever the action. */
  redactedText: string;
}

/** Severity order of actions: the decision's outcome is the most severe matched action. */
export const ACTION_SEVERITY: Record<PolicyAction, number> = { ALLOW: 0, WARN: 1, REDACT: 2, ESCALATE: 3, BLOCK: 4 };

const SENSITIVE: readonly PolicyRuleKind[] = ['PII', 'SECRET'];

/** A keyed digest (HMAC-SHA-256): low-entropy values such as card numbers cannot be brute-forced from it. */
export const keyedDigest = (key: string, value: string): string => createHmac('sha256', key).update(value).digest('hex');

const spansFor = (rule: PolicyRule, text: string, stored: boolean, flow: ConversationFlow | null): Span[] => {
  switch (rule.kind) {
    case 'PII': {
      const types = rule.piiTypes.length ? rule.piiTypes : PII_TYPES;
      return [...detectPii(text, types), ...(stored ? detectRedactionMarkers(text, types) : [])];
    }
    case 'SECRET':
      return [...detectSecrets(text), ...(stored ? detectRedactionMarkers(text, SECRET_TYPES) : [])];
    case 'PROMPT_INJECTION':
      return detectPromptInjection(text);
    case 'JAILBREAK':
      return detectJailbreak(text);
    case 'BANNED_TOPIC':
      return detectTerms(text, rule.terms, 'BANNED_TOPIC');
    case 'TOXICITY': {
      const { spans, score } = toxicityOf(text, rule.terms);
      return spans.length > 0 && score >= rule.toxicityThreshold ? spans : [];
    }
    case 'LENGTH': {
      const tooShort = rule.minLength !== null && text.trim().length < rule.minLength;
      const tooLong = rule.maxLength !== null && text.length > rule.maxLength;
      return tooShort ? [{ start: 0, end: 0, detector: 'TOO_SHORT' }] : tooLong ? [{ start: 0, end: 0, detector: 'TOO_LONG' }] : [];
    }
    case 'RATE': {
      // Only the conversation flow can break a rate bound; without it (a dry run on texts) nothing matches.
      if (!flow || !rule.maxMessages || !rule.windowSeconds) return [];
      return messagesInWindow(flow, rule.windowSeconds) > rule.maxMessages ? [{ start: 0, end: 0, detector: 'RATE' }] : [];
    }
  }
};

/** Replaces spans right to left: MASK keeps the detector name (and the last 4 digits of cards); HASH keeps a keyed digest prefix. */
export const redact = (text: string, spans: ReadonlyArray<Span & { style: RedactionStyle }>, hashKey: string): string => {
  const merged = [...spans].filter((s) => s.end > s.start).sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: Array<Span & { style: RedactionStyle }> = [];
  for (const span of merged) {
    const last = kept[kept.length - 1];
    if (last && span.start < last.end) {
      last.end = Math.max(last.end, span.end);
      continue;
    }
    kept.push({ ...span });
  }
  let out = text;
  for (const span of kept.reverse()) {
    const value = text.slice(span.start, span.end);
    const replacement = isRedactionMarker(value)
      ? value
      : span.style === 'HASH'
        ? `[${span.detector}#${keyedDigest(hashKey, value).slice(0, 12)}]`
        : span.detector === 'CREDIT_CARD'
          ? `[REDACTED CREDIT_CARD ••••${value.replace(/\D/g, '').slice(-4)}]`
          : `[REDACTED ${span.detector}]`;
    out = out.slice(0, span.start) + replacement + out.slice(span.end);
  }
  return out;
};

/**
 * Evaluates the enabled policies that apply at `point` to the caller's roles. Pure: the decision is
 * the most severe matched action; REDACT rules rewrite the forwarded text; every PII or secret span
 * is masked in `redactedText` whatever its action, so clear values are never stored. `stored: true`
 * evaluates text as stored (already redacted): its redaction markers count as the spans they replaced.
 */
export const evaluatePolicies = (policies: readonly PolicyBody[], input: { text: string; point: PolicyPoint; roles: readonly string[]; hashKey: string; stored?: boolean; flow?: ConversationFlow }): PolicyEvaluation => {
  const applicable = policies.filter((p) => p.enabled && (p.appliesToRoles.length === 0 || p.appliesToRoles.some((r) => input.roles.includes(r))));
  const matches: RuleMatch[] = [];
  const forwardSpans: Array<Span & { style: RedactionStyle }> = [];
  const safeSpans: Array<Span & { style: RedactionStyle }> = [];
  for (const policy of applicable) {
    for (const rule of policy.rules) {
      if (!rule.points.includes(input.point)) continue;
      const spans = spansFor(rule, input.text, input.stored ?? false, input.flow ?? null);
      if (!spans.length) continue;
      matches.push({ policyId: policy.id, policyRevision: policy.revision, ruleKey: rule.key, kind: rule.kind, action: rule.action, detectors: [...new Set(spans.map((s) => s.detector))].sort(), count: spans.length });
      if (rule.action === 'REDACT') forwardSpans.push(...spans.map((s) => ({ ...s, style: rule.redaction })));
      if (SENSITIVE.includes(rule.kind)) safeSpans.push(...spans.map((s) => ({ ...s, style: rule.action === 'REDACT' ? rule.redaction : ('MASK' as const) })));
    }
  }
  const outcome = matches.reduce<PolicyAction>((worst, m) => (ACTION_SEVERITY[m.action] > ACTION_SEVERITY[worst] ? m.action : worst), 'ALLOW');
  const blocked = outcome === 'BLOCK' || outcome === 'ESCALATE';
  return {
    point: input.point,
    outcome,
    inputDigest: keyedDigest(input.hashKey, input.text),
    policyRevisions: applicable.map((p) => ({ policyId: p.id, revision: p.revision })),
    matches,
    forwardText: blocked ? null : redact(input.text, forwardSpans, input.hashKey),
    redactedText: redact(input.text, [...safeSpans, ...forwardSpans], input.hashKey),
  };
};

/** The rules every organization starts with (revision 0); organizations add their own policies on top. */
export const BASELINE_POLICY: PolicyBody = {
  id: 'baseline',
  name: 'Baseline governance',
  revision: 0,
  enabled: true,
  appliesToRoles: [],
  rules: [
    { key: 'pii-financial', kind: 'PII', points: ['INPUT', 'OUTPUT', 'PROCESSING'], action: 'REDACT', redaction: 'MASK', piiTypes: ['CREDIT_CARD', 'IBAN', 'US_SSN'], terms: [], minLength: null, maxLength: null, toxicityThreshold: 0 },
    { key: 'pii-contact', kind: 'PII', points: ['OUTPUT'], action: 'REDACT', redaction: 'MASK', piiTypes: ['EMAIL', 'PHONE'], terms: [], minLength: null, maxLength: null, toxicityThreshold: 0 },
    { key: 'secrets', kind: 'SECRET', points: ['INPUT', 'OUTPUT', 'PROCESSING'], action: 'REDACT', redaction: 'HASH', piiTypes: [], terms: [], minLength: null, maxLength: null, toxicityThreshold: 0 },
    { key: 'prompt-injection', kind: 'PROMPT_INJECTION', points: ['INPUT', 'PROCESSING'], action: 'BLOCK', redaction: 'MASK', piiTypes: [], terms: [], minLength: null, maxLength: null, toxicityThreshold: 0 },
    { key: 'jailbreak', kind: 'JAILBREAK', points: ['INPUT', 'PROCESSING'], action: 'BLOCK', redaction: 'MASK', piiTypes: [], terms: [], minLength: null, maxLength: null, toxicityThreshold: 0 },
    { key: 'toxicity', kind: 'TOXICITY', points: ['INPUT', 'OUTPUT'], action: 'WARN', redaction: 'MASK', piiTypes: [], terms: [], minLength: null, maxLength: null, toxicityThreshold: 0 },
    { key: 'length', kind: 'LENGTH', points: ['INPUT'], action: 'BLOCK', redaction: 'MASK', piiTypes: [], terms: [], minLength: 1, maxLength: 8000, toxicityThreshold: 0 },
  ],
};

export interface PolicyRuleInput {
  key: string;
  kind: string;
  points: readonly string[];
  action: string;
  redaction?: string | null;
  piiTypes?: readonly string[] | null;
  terms?: readonly string[] | null;
  minLength?: number | null;
  maxLength?: number | null;
  toxicityThreshold?: number | null;
  maxMessages?: number | null;
  windowSeconds?: number | null;
}

/** Validates and normalizes a policy's rules; input errors name the offending field. */
export const checkPolicyRules = (rules: readonly PolicyRuleInput[], field = 'input.rules'): PolicyRule[] => {
  if (rules.length === 0) throw inputError(field, 'A policy needs at least one rule', 'Add a rule, e.g. {key: "cards", kind: PII, points: [INPUT], action: REDACT}.');
  if (rules.length > 100) throw inputError(field, 'A policy has at most 100 rules', 'Split the rules over several policies.');
  const keys = new Set<string>();
  return rules.map((rule, i) => {
    const at = `${field}[${i}]`;
    const key = rule.key.trim();
    if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(key)) throw inputError(`${at}.key`, `Rule key "${key.slice(0, 40)}" is not valid`, 'Use 1–64 characters: a-z, 0-9 and dashes.');
    if (keys.has(key)) throw inputError(`${at}.key`, `Rule key "${key}" is used twice`, 'Give every rule of a policy its own key.');
    keys.add(key);
    const points = [...new Set(rule.points)] as PolicyPoint[];
    if (points.length === 0) throw inputError(`${at}.points`, 'A rule needs at least one point', 'Use INPUT, PROCESSING, OUTPUT or INTERACTION.');
    const kind = rule.kind as PolicyRuleKind;
    const terms = [...new Set((rule.terms ?? []).map((t) => t.trim()).filter(Boolean))];
    if (kind === 'BANNED_TOPIC' && terms.length === 0) throw inputError(`${at}.terms`, 'A BANNED_TOPIC rule needs terms', 'List the banned topics as words or phrases.');
    const minLength = rule.minLength ?? null;
    const maxLength = rule.maxLength ?? null;
    if (kind === 'LENGTH') {
      if (minLength === null && maxLength === null) throw inputError(`${at}.maxLength`, 'A LENGTH rule needs minLength or maxLength', 'Set maxLength (characters), minLength, or both.');
      if ((minLength !== null && minLength < 0) || (maxLength !== null && maxLength < 1) || (minLength !== null && maxLength !== null && minLength > maxLength)) {
        throw inputError(`${at}.minLength`, 'Length bounds are not consistent', 'Use 0 ≤ minLength ≤ maxLength.');
      }
    }
    const toxicityThreshold = rule.toxicityThreshold ?? 0;
    if (!(toxicityThreshold >= 0 && toxicityThreshold <= 1)) throw inputError(`${at}.toxicityThreshold`, 'toxicityThreshold must be within 0–1', 'Use 0 to flag any lexicon hit, higher to need a larger share of toxic words.');
    const action = rule.action as PolicyAction;
    const maxMessages = rule.maxMessages ?? null;
    const windowSeconds = rule.windowSeconds ?? null;
    if (kind === 'RATE') {
      if (maxMessages === null || !Number.isInteger(maxMessages) || maxMessages < 1 || maxMessages > 10_000) throw inputError(`${at}.maxMessages`, 'A RATE rule needs maxMessages of 1–10000', 'Set how many messages a sender may send per window, e.g. 20.');
      if (windowSeconds === null || !Number.isInteger(windowSeconds) || windowSeconds < 1 || windowSeconds > 86_400) throw inputError(`${at}.windowSeconds`, 'A RATE rule needs windowSeconds of 1–86400', 'Set the window in seconds, e.g. 60.');
      if (points.some((p) => p !== 'INTERACTION')) throw inputError(`${at}.points`, 'A RATE rule applies at INTERACTION only', 'Rate bounds judge the conversation flow: use points [INTERACTION].');
    }
    if (action === 'REDACT' && points.includes('INTERACTION')) throw inputError(`${at}.action`, 'REDACT does not apply at INTERACTION', 'Interaction rules judge the conversation flow and do not rewrite text: use WARN, ESCALATE or BLOCK, or redact at INPUT.');
    return {
      key,
      kind,
      points,
      action,
      redaction: (rule.redaction ?? 'MASK') as RedactionStyle,
      piiTypes: [...new Set(rule.piiTypes ?? [])] as PiiType[],
      terms,
      minLength,
      maxLength,
      toxicityThreshold,
      ...(kind === 'RATE' ? { maxMessages, windowSeconds } : {}),
    };
  });
};

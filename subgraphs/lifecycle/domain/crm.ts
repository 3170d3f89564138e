import { isIP } from 'node:net';
import { inputError } from '../../../platform/errors.ts';

/** CRM sync rules: field mapping, the retry schedule, dead-lettering and endpoint validation. Pure. */

export const CRM_MAX_ATTEMPTS = 5;
export const DEFAULT_BACKOFF_BASE_MS = 30_000;
export const MIN_BACKOFF_BASE_MS = 10;
export const MAX_BACKOFF_BASE_MS = 3_600_000;
/** No single wait is longer than this, however large base × 2^n grows. */
export const MAX_BACKOFF_MS = 6 * 3_600_000;

export type CrmOperation = 'UPSERT_OPPORTUNITY' | 'LOG_ACTIVITY';
export type CrmDeliveryStatus = 'PENDING' | 'DELIVERED' | 'DEAD_LETTER' | 'CONFLICT' | 'DISCARDED';
/** What a connector reports for one attempt. */
export type CrmAttemptOutcome = 'DELIVERED' | 'RETRYABLE' | 'REJECTED' | 'CONFLICT';

/** Canonical fields of an opportunity (a presales prospect) and of an activity on it, before mapping. */
export const OPPORTUNITY_FIELDS = ['opportunityId', 'name', 'stage', 'previousStage', 'changedAt'] as const;
export const ACTIVITY_FIELDS = ['opportunityId', 'activityType', 'description', 'occurredAt'] as const;
export const CANONICAL_FIELDS: readonly string[] = [...new Set<string>([...OPPORTUNITY_FIELDS, ...ACTIVITY_FIELDS])];
export const PROSPECT_STAGES = ['NEW', 'RESEARCHED', 'DEMO', 'PROPOSAL', 'WON', 'LOST'] as const;

export interface FieldMapping {
  source: string;
  target: string;
}

export interface StageMapping {
  stage: string;
  value: string;
}

export type CrmFieldValue = string | number | null;

/** One mapped field as sent to the CRM (a list, not an object: CRM field names are data, not keys). */
export interface CrmField {
  name: string;
  value: CrmFieldValue;
}

const TARGET = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Checks an organization's field mapping: sources are canonical fields, each at most once; targets
 * are CRM field names (letters, digits, _; 1–64, not starting with a digit), each at most once.
 * Canonical fields without a mapping keep their own name.
 */
export const checkFieldMapping = (mapping: readonly FieldMapping[]): FieldMapping[] => {
  const sources = new Set<string>();
  const targets = new Set<string>();
  return mapping.map((m, i) => {
    const source = m.source.trim();
    const target = m.target.trim();
    if (!CANONICAL_FIELDS.includes(source)) throw inputError(`input.fieldMapping.${i}.source`, `unknown field ${source}`, `Map one of: ${CANONICAL_FIELDS.join(', ')}.`);
    if (sources.has(source)) throw inputError(`input.fieldMapping.${i}.source`, `${source} is mapped twice`, 'Map each field once.');
    if (!TARGET.test(target)) throw inputError(`input.fieldMapping.${i}.target`, 'CRM field names are 1–64 letters, digits or _, not starting with a digit', 'Use the API name of the CRM field, e.g. StageName.');
    if (targets.has(target)) throw inputError(`input.fieldMapping.${i}.target`, `two fields map to ${target}`, 'Give each CRM field one source.');
    sources.add(source);
    targets.add(target);
    return { source, target };
  });
};

/** Checks the stage value mapping: known prospect stages, each once, CRM values 1–100 characters. */
export const checkStageMapping = (mapping: readonly StageMapping[]): StageMapping[] => {
  const seen = new Set<string>();
  return mapping.map((m, i) => {
    const value = m.value.trim();
    if (!(PROSPECT_STAGES as readonly string[]).includes(m.stage)) throw inputError(`input.stageMapping.${i}.stage`, `unknown stage ${m.stage}`, `Use one of ${PROSPECT_STAGES.join(', ')}.`);
    if (seen.has(m.stage)) throw inputError(`input.stageMapping.${i}.stage`, `${m.stage} is mapped twice`, 'Map each stage once.');
    if (value.length < 1 || value.length > 100) throw inputError(`input.stageMapping.${i}.value`, 'the CRM stage value must be 1–100 characters', 'Use the CRM picklist value, e.g. "Closed Won".');
    seen.add(m.stage);
    return { stage: m.stage, value };
  });
};

/** A stage as the CRM names it (identity when unmapped). */
export const crmStageOf = (stage: string | null, mapping: readonly StageMapping[]): string | null => (stage === null ? null : (mapping.find((m) => m.stage === stage)?.value ?? stage));

/**
 * Applies the organization's mapping to canonical fields, in canonical order: mapped fields get
 * their CRM name, the others keep the canonical name; `stage`/`previousStage` values go through
 * the stage mapping.
 */
export const applyMapping = (canonical: Readonly<Record<string, CrmFieldValue>>, fields: readonly FieldMapping[], stages: readonly StageMapping[]): CrmField[] =>
  Object.entries(canonical).map(([source, raw]) => {
    const value = source === 'stage' || source === 'previousStage' ? crmStageOf(raw === null ? null : String(raw), stages) : raw;
    return { name: fields.find((m) => m.source === source)?.target ?? source, value };
  });

/** Checks the backoff base (ms): 10 ms (tests) to 1 hour. */
export const checkBackoffBase = (ms: number): number => {
  if (!Number.isInteger(ms) || ms < MIN_BACKOFF_BASE_MS || ms > MAX_BACKOFF_BASE_MS) {
    throw inputError('input.backoffBaseMs', `backoffBaseMs must be an integer from ${MIN_BACKOFF_BASE_MS} to ${MAX_BACKOFF_BASE_MS}`, 'The wait after the first failure; each later wait doubles. The default is 30000 (30 s).');
  }
  return ms;
};

/** The wait after failed attempt number `attempt` (1-based): base × 2^(attempt − 1), capped at 6 hours. */
export const backoffDelayMs = (attempt: number, baseMs: number): number => Math.min(baseMs * 2 ** Math.max(0, attempt - 1), MAX_BACKOFF_MS);

/** The whole retry schedule: the waits between the attempts of one delivery (max − 1 waits). */
export const retrySchedule = (baseMs: number, maxAttempts = CRM_MAX_ATTEMPTS): number[] => Array.from({ length: maxAttempts - 1 }, (_, i) => backoffDelayMs(i + 1, baseMs));

export interface AttemptDecision {
  status: CrmDeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
}

/**
 * What happens to a delivery after an attempt: DELIVERED ends it; CONFLICT sends it to manual review;
 * REJECTED (the CRM refused the request itself) dead-letters at once; RETRYABLE waits
 * `backoffDelayMs(attempts)` unless that was attempt `maxAttempts`, which dead-letters it.
 */
export const decideAfterAttempt = (previousAttempts: number, outcome: CrmAttemptOutcome, baseMs: number, now: Date, maxAttempts = CRM_MAX_ATTEMPTS): AttemptDecision => {
  const attempts = previousAttempts + 1;
  switch (outcome) {
    case 'DELIVERED':
      return { status: 'DELIVERED', attempts, nextAttemptAt: null };
    case 'CONFLICT':
      return { status: 'CONFLICT', attempts, nextAttemptAt: null };
    case 'REJECTED':
      return { status: 'DEAD_LETTER', attempts, nextAttemptAt: null };
    case 'RETRYABLE':
      return attempts >= maxAttempts ? { status: 'DEAD_LETTER', attempts, nextAttemptAt: null } : { status: 'PENDING', attempts, nextAttemptAt: new Date(now.getTime() + backoffDelayMs(attempts, baseMs)).toISOString() };
  }
};

/** How an HTTP status of the CRM endpoint counts: 2xx delivered, 409 conflict, 408/425/429/5xx retryable, other 4xx (and 3xx: redirects are not followed) rejected. */
export const outcomeOfHttpStatus = (status: number): CrmAttemptOutcome => {
  if (status >= 200 && status < 300) return 'DELIVERED';
  if (status === 409) return 'CONFLICT';
  if (status === 408 || status === 425 || status === 429 || status >= 500) return 'RETRYABLE';
  return 'REJECTED';
};

/** Whether an IP literal is loopback, private, link-local, CGNAT, unspecified or unique-local. */
export const isPrivateAddress = (host: string): boolean => {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  const kind = isIP(h);
  if (kind === 4) {
    const [a, b] = h.split('.').map(Number);
    return a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
  }
  if (kind === 6) return h === '::' || h === '::1' || h.startsWith('fc') || h.startsWith('fd') || h.startsWith('fe80') || h.startsWith('::ffff:');
  return false;
};

/**
 * Validates a CRM endpoint URL: http(s), no credentials, no fragment, at most 2,000 characters.
 * Unless `allowPrivate` (development and tests), only https to a public host: no localhost, no
 * `.local`/`.internal` names, no private, loopback or link-local IP literals.
 */
export const checkEndpointUrl = (raw: string, allowPrivate: boolean): string => {
  const field = 'input.endpointUrl';
  const text = raw.trim();
  if (text.length > 2000) throw inputError(field, 'the endpoint URL is longer than 2,000 characters', 'Give the CRM connector endpoint, e.g. https://crm.example.com/api/mesh-sync.');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw inputError(field, 'the endpoint is not a valid URL', 'Give an absolute URL, e.g. https://crm.example.com/api/mesh-sync.');
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) throw inputError(field, `the endpoint must use https, not ${url.protocol.replace(':', '')}`, 'CRM data leaves the platform only over TLS: use an https:// URL.');
  if (url.username || url.password) throw inputError(field, 'the endpoint URL must not contain credentials', 'Remove user:password@ from the URL; the connector sends no secrets in URLs.');
  if (url.hash) throw inputError(field, 'the endpoint URL must not have a fragment', 'Remove the #… part.');
  const host = url.hostname.toLowerCase();
  if (!allowPrivate && (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal') || isPrivateAddress(host))) {
    throw inputError(field, `the endpoint host ${host} is not a public address`, 'Point the connector at the CRM’s public endpoint; private and loopback addresses are refused.');
  }
  return url.toString();
};

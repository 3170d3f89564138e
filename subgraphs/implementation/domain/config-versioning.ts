/**
 * Git-style config versioning rules (FR-7.2, FR-3.2): structural diff, change risk, approval and
 * environment promotion. Pure.
 */
import { canonicalJson } from '../../../platform/provenance/canonical.ts';

export type ChangeKind = 'ADDED' | 'REMOVED' | 'CHANGED';
export type RiskLevel = 'LOW' | 'MEDIUM' | 'HIGH';
export type Environment = 'DEV' | 'STAGING' | 'PRODUCTION';
export type ApprovalStatus = 'NOT_REQUIRED' | 'PENDING' | 'APPROVED';

export interface DiffEntry {
  path: string;
  kind: ChangeKind;
  /** Canonical JSON of the value before (null when added). */
  before: string | null;
  /** Canonical JSON of the value after (null when removed). */
  after: string | null;
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const join = (path: string, key: string | number): string => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key);

/**
 * Structural diff: objects by key, arrays by index, everything else by value. Paths look like
 * `tools[1].enabled`. Entries come in document order (keys sorted).
 */
export const diffDocuments = (before: unknown, after: unknown, path = ''): DiffEntry[] => {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => {
      const p = join(path, key);
      if (!(key in after)) return [{ path: p, kind: 'REMOVED' as const, before: canonicalJson(before[key]), after: null }];
      if (!(key in before)) return [{ path: p, kind: 'ADDED' as const, before: null, after: canonicalJson(after[key]) }];
      return diffDocuments(before[key], after[key], p);
    });
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const entries: DiffEntry[] = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      const p = join(path, i);
      if (i >= after.length) entries.push({ path: p, kind: 'REMOVED', before: canonicalJson(before[i]), after: null });
      else if (i >= before.length) entries.push({ path: p, kind: 'ADDED', before: null, after: canonicalJson(after[i]) });
      else entries.push(...diffDocuments(before[i], after[i], p));
    }
    return entries;
  }
  const a = canonicalJson(before);
  const b = canonicalJson(after);
  return a === b ? [] : [{ path: path || '(document)', kind: 'CHANGED', before: a, after: b }];
};

export interface RiskAssessment {
  level: RiskLevel;
  reasons: string[];
  requiresApproval: boolean;
}

const RANK: Record<RiskLevel, number> = { LOW: 0, MEDIUM: 1, HIGH: 2 };
const rootOf = (path: string): string => path.split(/[.[]/)[0];

/**
 * Risk of a change, by rules:
 * - HIGH: the system prompt, the model or the product type changes; an escalation rule is removed
 *   (a customer could be left without a human); the whole document is replaced.
 * - MEDIUM: tools, integrations, voice parameters or escalation rules added or changed.
 * - LOW: anything else (objectives, KPIs, edge cases), or no change.
 * A first version has no running predecessor: LOW. HIGH needs approval before deployment.
 */
export const assessRisk = (diff: readonly DiffEntry[], isInitial = false): RiskAssessment => {
  if (isInitial) return { level: 'LOW', reasons: ['Initial version: nothing deployed to change.'], requiresApproval: false };
  const reasons: string[] = [];
  let level = 'LOW' as RiskLevel;
  const raise = (to: RiskLevel, reason: string): void => {
    if (!reasons.includes(reason)) reasons.push(reason);
    if (RANK[to] > RANK[level]) level = to;
  };
  for (const entry of diff) {
    const root = rootOf(entry.path);
    if (root === 'systemPrompt') raise('HIGH', 'System prompt changed: the bot\'s behaviour changes for every conversation.');
    else if (root === 'model') raise('HIGH', 'Model changed: answers, latency and cost change.');
    else if (root === 'productType') raise('HIGH', 'Product type changed.');
    else if (root === '(document)') raise('HIGH', 'The whole document was replaced.');
    else if (root === 'escalationRules' && entry.kind === 'REMOVED') raise('HIGH', 'An escalation rule was removed: customers may no longer reach a person.');
    else if (root === 'tools' || root === 'integrations' || root === 'voice' || root === 'escalationRules') raise('MEDIUM', `${root} changed.`);
    else raise('LOW', `${root} changed.`);
  }
  if (!diff.length) reasons.push('No changes.');
  return { level, reasons, requiresApproval: level === 'HIGH' };
};

export const approvalStatusFor = (risk: RiskAssessment): ApprovalStatus => (risk.requiresApproval ? 'PENDING' : 'NOT_REQUIRED');

/** The environment a document must have reached before it may go to `environment` (null for DEV). */
export const previousEnvironment = (environment: Environment): Environment | null =>
  environment === 'PRODUCTION' ? 'STAGING' : environment === 'STAGING' ? 'DEV' : null;

/**
 * Promotion rule: DEV → STAGING → PRODUCTION. A document (by content digest) may be deployed to an
 * environment only once the same content has been deployed to the one before; a rollback to content
 * that already went through the chain therefore deploys at once. HIGH-risk versions need approval.
 * Returns the reason it may not be deployed, or null when it may.
 */
export const deploymentBlocker = (input: {
  environment: Environment;
  digest: string;
  approvalStatus: ApprovalStatus;
  deployedDigests: ReadonlyArray<{ environment: Environment; digest: string }>;
}): string | null => {
  if (input.approvalStatus === 'PENDING') return 'This version is HIGH risk and has not been approved yet.';
  const before = previousEnvironment(input.environment);
  if (before && !input.deployedDigests.some((d) => d.environment === before && d.digest === input.digest)) {
    return `This content has not been deployed to ${before} yet; promote it DEV → STAGING → PRODUCTION.`;
  }
  return null;
};

/**
 * A rollback to content that already ran in PRODUCTION restores a known-good state: the approval a
 * HIGH-risk change would need is waived (the level is kept, with the reason).
 */
export const waiveForKnownGood = (risk: RiskAssessment): RiskAssessment =>
  risk.requiresApproval ? { ...risk, reasons: [...risk.reasons, 'Restores content that already ran in PRODUCTION: approval waived.'], requiresApproval: false } : risk;

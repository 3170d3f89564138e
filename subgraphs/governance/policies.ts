import { createHash, KeyObject } from 'node:crypto';
import { isOrgRole, isPlatformRole } from '../../platform/auth/roles.ts';
import { requireScope, type RequestContext, type TenantScope } from '../../platform/context.ts';
import { DomainError, inputError, notFound } from '../../platform/errors.ts';
import type { ProvenanceRecord } from '../../platform/provenance/provenance.ts';
import type { SubgraphDeps } from '../../platform/server.ts';
import { BASELINE_POLICY, checkPolicyRules, evaluatePolicies, type PolicyAction, type PolicyBody, type PolicyPoint, type PolicyRuleInput, type RuleMatch } from './domain/policy.ts';
import { chatMessages, policies, policyRevisions, type PolicyDoc, type PolicyModel } from './store.ts';

export const actorOf = (ctx: RequestContext): { id: string; kind: 'user' | 'app' | 'system' } => (ctx.principal ? { id: ctx.principal.subject, kind: ctx.principal.kind } : { id: 'anonymous', kind: 'system' });

/**
 * The per-tenant key of keyed digests (input digests, HASH redaction): derived from the deployment's
 * private token key, so digests of low-entropy values (card numbers) cannot be brute-forced from outside.
 */
export const createHashKeys = (deps: SubgraphDeps): ((scope: TenantScope) => string) => {
  let secret: string | null = null;
  return (scope) => {
    secret ??= String(KeyObject.from(deps.keyring.token.privateKey).export({ format: 'jwk' }).d ?? deps.keyring.token.kid);
    return createHash('sha256').update(`governance-redaction|${secret}|${scope.tenantId}`).digest('hex');
  };
};

export const bodyOf = (policy: Pick<PolicyModel, 'id' | 'name' | 'revision' | 'enabled' | 'appliesToRoles' | 'rules'>): PolicyBody => ({
  id: policy.id,
  name: policy.name,
  revision: policy.revision,
  enabled: policy.enabled,
  appliesToRoles: policy.appliesToRoles,
  rules: policy.rules,
});

const EPOCH = new Date(0).toISOString();

/** The built-in baseline as a Policy of the caller's organization (revision 0, not stored). */
export const baselineModel = (deps: SubgraphDeps, scope: TenantScope): PolicyModel => ({
  ...BASELINE_POLICY,
  description: 'Built-in rules every session starts with: financial PII and secrets redacted, prompt injection and jailbreaks blocked, toxicity warned, length bounded.',
  tenantId: scope.tenantId,
  version: 1,
  createdAt: EPOCH,
  updatedAt: EPOCH,
  provenance: deps.provenance.build({ method: 'SYSTEM', inputs: BASELINE_POLICY, explanation: 'Built-in baseline policy of the governance subgraph', computedAt: new Date(0) }, 'baseline'),
});

export interface UpsertPolicyArgs {
  id?: string | null;
  name: string;
  description?: string | null;
  enabled?: boolean | null;
  appliesToRoles?: readonly string[] | null;
  rules: readonly PolicyRuleInput[];
}

/** Validates a policy proposal into the stored shape (without revision). */
export const checkPolicyInput = (input: UpsertPolicyArgs, field = 'input'): Omit<PolicyDoc, 'revision'> => {
  const name = input.name.trim();
  if (name.length < 2 || name.length > 120) throw inputError(`${field}.name`, 'Policy name must be 2–120 characters', 'Give the policy a short descriptive name.');
  const description = (input.description ?? '').trim();
  if (description.length > 2000) throw inputError(`${field}.description`, 'Description is too long', 'Use at most 2000 characters.');
  const appliesToRoles = [...new Set(input.appliesToRoles ?? [])];
  for (const role of appliesToRoles) {
    if (!isOrgRole(role) && !isPlatformRole(role)) throw inputError(`${field}.appliesToRoles`, `Unknown role ${role.slice(0, 40)}`, 'Use roles such as OWNER, ADMIN, MEMBER, VIEWER or a platform staff role.');
  }
  return { name, description, enabled: input.enabled ?? true, appliesToRoles, rules: checkPolicyRules(input.rules, `${field}.rules`) };
};

export const upsertPolicy = async (deps: SubgraphDeps, ctx: RequestContext, input: UpsertPolicyArgs): Promise<PolicyModel> => {
  const scope = requireScope(ctx);
  const doc = checkPolicyInput(input);
  const existing = input.id ? await deps.store.collection(policies).get(scope, input.id) : null;
  if (input.id && !existing) throw notFound('Policy');
  const revision = existing ? existing.revision + 1 : 1;
  const provenance = deps.provenance.build({ method: 'HUMAN', inputs: { ...doc, revision }, explanation: existing ? `Revision ${revision} by an organization admin` : 'Created by an organization admin' }, ctx.correlationId);
  return deps.store
    .transaction(scope, { action: 'governance.upsertPolicy', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => {
      const policy = existing ? tx.update(policies, existing, { ...doc, revision }, provenance) : tx.insert(policies, { ...doc, revision }, provenance);
      tx.insert(policyRevisions, { ...doc, revision, policyId: policy.id }, provenance);
      tx.emit({ type: 'policy.upserted', topic: 'governance_events', subject: { typename: 'Policy', id: policy.id }, payload: { revision, ruleCount: doc.rules.length, enabled: doc.enabled } }, provenance);
      return policy;
    })
    .catch((error: unknown) => {
      if (error instanceof DomainError && error.code === 'ALREADY_EXISTS') throw inputError('input.name', 'Another policy already has this name', 'Choose a different name, or pass the id of that policy to revise it.');
      throw error;
    });
};

export const listPolicies = (deps: SubgraphDeps, ctx: RequestContext): Promise<PolicyModel[]> => deps.store.collection(policies).find(requireScope(ctx), {}, { sort: { field: 'name', direction: 1 } });

export const policyById = async (deps: SubgraphDeps, ctx: RequestContext, id: string): Promise<PolicyModel | null> => {
  const scope = requireScope(ctx);
  return id === BASELINE_POLICY.id ? baselineModel(deps, scope) : deps.store.collection(policies).get(scope, id);
};

/** The policies a session applies: its chosen ones (or all stored), plus the baseline when included. */
export const policiesFor = async (deps: SubgraphDeps, scope: TenantScope, session: { includeBaseline: boolean; policyIds: string[] | null }): Promise<PolicyBody[]> => {
  const reader = deps.store.collection(policies);
  const stored = session.policyIds ? (await reader.getMany(scope, session.policyIds)).filter((p): p is PolicyModel => p !== null) : await reader.find(scope, { enabled: true });
  return [...(session.includeBaseline ? [BASELINE_POLICY] : []), ...stored.map(bodyOf)];
};

export interface DryRunResult {
  proposedRevision: number;
  changedCount: number;
  results: Array<{ index: number; messageId: string | null; currentOutcome: PolicyAction; proposedOutcome: PolicyAction; changed: boolean; redactedText: string; matches: RuleMatch[] }>;
  provenance: ProvenanceRecord;
}

/** At most this many recent messages per dry run. */
export const MAX_DRY_RUN_RECENT = 200;

/**
 * What a proposed policy would decide, next to its current revision, on sample texts or on the
 * organization's most recent user messages (as stored: redacted, markers standing for what they
 * replaced). Writes nothing.
 */
export const dryRunPolicy = async (
  deps: SubgraphDeps,
  ctx: RequestContext,
  hashKey: (scope: TenantScope) => string,
  input: { policy: UpsertPolicyArgs; texts?: readonly string[] | null; recent?: number | null; point?: PolicyPoint | null },
): Promise<DryRunResult> => {
  const scope = requireScope(ctx);
  const proposed = checkPolicyInput(input.policy, 'input.policy');
  const hasTexts = input.texts !== null && input.texts !== undefined;
  const hasRecent = input.recent !== null && input.recent !== undefined;
  if (hasTexts === hasRecent) throw inputError('input.texts', 'Give either texts or recent', 'Paste sample messages in texts, or set recent to try the policy on the latest stored messages.');
  const texts = input.texts ?? [];
  if (hasTexts && (texts.length === 0 || texts.length > 50)) throw inputError('input.texts', 'Give 1–50 texts', 'Paste sample messages to try the policy on.');
  texts.forEach((text, i) => {
    if (text.length > 8000) throw inputError(`input.texts[${i}]`, 'Text is longer than 8000 characters', 'Shorten the sample.');
  });
  const recent = input.recent ?? 0;
  if (hasRecent && (!Number.isInteger(recent) || recent < 1 || recent > MAX_DRY_RUN_RECENT)) throw inputError('input.recent', `recent must be 1–${MAX_DRY_RUN_RECENT}`, 'Ask for the last 50 messages, for example.');
  const samples: Array<{ text: string; messageId: string | null }> = hasRecent
    ? (await deps.store.collection(chatMessages).find(scope, { role: 'USER' }, { sort: { field: 'createdAt', direction: -1 }, limit: recent })).map((m) => ({ text: m.text, messageId: m.id }))
    : texts.map((text) => ({ text, messageId: null }));
  const current = input.policy.id ? await deps.store.collection(policies).get(scope, input.policy.id) : null;
  if (input.policy.id && !current) throw notFound('Policy');
  const point = input.point ?? 'INPUT';
  const key = hashKey(scope);
  const proposedBody: PolicyBody = { id: current?.id ?? 'proposed', name: proposed.name, revision: (current?.revision ?? 0) + 1, enabled: true, appliesToRoles: [], rules: proposed.rules };
  const currentBodies = current ? [{ ...bodyOf(current), enabled: true, appliesToRoles: [] }] : [];
  const results = samples.map(({ text, messageId }, index) => {
    const before = evaluatePolicies(currentBodies, { text, point, roles: [], hashKey: key, stored: hasRecent });
    const after = evaluatePolicies([proposedBody], { text, point, roles: [], hashKey: key, stored: hasRecent });
    return { index, messageId, currentOutcome: before.outcome, proposedOutcome: after.outcome, changed: before.outcome !== after.outcome, redactedText: after.redactedText, matches: after.matches };
  });
  const provenance = deps.provenance.build(
    { method: 'RULE', inputs: { proposedBody, texts: samples.map((t) => hashKeyDigest(key, t.text)), point }, explanation: hasRecent ? `Dry run of the proposed revision over the ${samples.length} most recent stored user message(s)` : `Dry run of ${samples.length} texts against the proposed revision`, confidence: 1 },
    ctx.correlationId,
  );
  return { proposedRevision: proposedBody.revision, changedCount: results.filter((r) => r.changed).length, results, provenance };
};

const hashKeyDigest = (key: string, text: string): string => createHash('sha256').update(`${key}|${text}`).digest('hex');

import { requireScope, type RequestContext, type TenantScope } from '../../platform/context.ts';
import { DomainError, inputError } from '../../platform/errors.ts';
import type { SubgraphDeps } from '../../platform/server.ts';
import type { PolicyBody } from './domain/policy.ts';
import { actorOf, bodyOf } from './policies.ts';
import { agentRegistry, policies, type AgentRole, type ChatAgentConfig, type PolicyModel, type RegisteredAgentModel } from './store.ts';

const KEY = /^[a-z0-9][a-z0-9-]{0,39}$/;
const CAPABILITY = /^[a-z0-9][a-z0-9:-]{0,39}$/;
const MAX_INSTRUCTIONS = 8000;

export interface RegisterAgentArgs {
  key: string;
  name: string;
  role: AgentRole;
  instructions: string;
  capabilities?: readonly string[] | null;
  policyIds?: readonly string[] | null;
  enabled?: boolean | null;
}

const checkPolicyIds = async (deps: SubgraphDeps, scope: TenantScope, ids: readonly string[], field: string): Promise<string[]> => {
  const unique = [...new Set(ids)];
  if (unique.length > 20) throw inputError(field, 'At most 20 policies per agent', 'Combine rules into fewer policies.');
  const found = unique.length ? await deps.store.collection(policies).getMany(scope, unique) : [];
  const missing = unique.filter((_, i) => !found[i]);
  if (missing.length) throw inputError(field, `Unknown policy ${missing[0].slice(0, 40)}`, 'Use ids from the policies query.');
  return unique;
};

/** Registers an agent of the organization, or revises the one with the same key. */
export const registerAgent = async (deps: SubgraphDeps, ctx: RequestContext, input: RegisterAgentArgs): Promise<RegisteredAgentModel> => {
  const scope = requireScope(ctx);
  const key = input.key.trim();
  if (!KEY.test(key) || key === 'system' || key === 'synthesis') throw inputError('input.key', `Agent key "${key.slice(0, 40)}" is not valid`, 'Use 1–40 characters: a-z, 0-9 and dashes (not "system" or "synthesis").');
  const name = input.name.trim();
  if (name.length < 1 || name.length > 80) throw inputError('input.name', 'Agent name must be 1–80 characters', 'Name the agent.');
  const instructions = input.instructions.trim();
  if (instructions.length < 1 || instructions.length > MAX_INSTRUCTIONS) throw inputError('input.instructions', `Instructions must be 1–${MAX_INSTRUCTIONS} characters`, 'Describe what the agent knows and does.');
  const capabilities = [...new Set((input.capabilities ?? []).map((c) => c.trim()))];
  if (capabilities.length > 20) throw inputError('input.capabilities', 'At most 20 capabilities', 'Keep the ones routing needs.');
  const bad = capabilities.find((c) => !CAPABILITY.test(c));
  if (bad !== undefined) throw inputError('input.capabilities', `Capability "${bad.slice(0, 40)}" is not valid`, 'Use 1–40 characters: a-z, 0-9, dashes and colons, e.g. "billing:refunds".');
  const policyIds = await checkPolicyIds(deps, scope, input.policyIds ?? [], 'input.policyIds');
  const existing = await deps.store.collection(agentRegistry).findOne(scope, { key });
  const doc = { key, name, role: input.role, instructions, capabilities, policyIds, enabled: input.enabled ?? true, revision: (existing?.revision ?? 0) + 1 };
  const provenance = deps.provenance.build({ method: 'HUMAN', inputs: doc, explanation: existing ? `Agent revision ${doc.revision} by an organization admin` : 'Agent registered by an organization admin' }, ctx.correlationId);
  return deps.store.transaction(scope, { action: 'governance.registerAgent', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => {
    const agent = existing ? tx.update(agentRegistry, existing, doc, provenance) : tx.insert(agentRegistry, doc, provenance);
    tx.emit({ type: 'agent.registered', topic: 'governance_events', subject: { typename: 'RegisteredAgent', id: agent.id }, payload: { key, revision: doc.revision, capabilities, enabled: doc.enabled } }, provenance);
    return agent;
  }).catch((error: unknown) => {
    if (error instanceof DomainError && (error.code === 'ALREADY_EXISTS' || error.code === 'CONFLICT')) throw new DomainError('CONFLICT', `Agent ${key} was registered at the same time`, { hint: 'Send the registration again.', rootCause: 'concurrent registration', cause: error });
    throw error;
  });
};

/** The registry, by key; with a capability, only the enabled agents that have it. */
export const listRegisteredAgents = async (deps: SubgraphDeps, ctx: RequestContext, capability?: string | null): Promise<RegisteredAgentModel[]> => {
  const all = await deps.store.collection(agentRegistry).find(requireScope(ctx), {}, { sort: { field: 'key', direction: 1 }, limit: 1000 });
  return capability ? all.filter((a) => a.enabled && a.capabilities.includes(capability)) : all;
};

/**
 * The agents of a session or run: the inline ones followed by the registered ones named by key
 * (enabled, not repeating an inline key), each carrying its capabilities and policies.
 */
export const withRegisteredAgents = async (deps: SubgraphDeps, scope: TenantScope, inline: readonly ChatAgentConfig[], keys: readonly string[] | null | undefined, field: string): Promise<ChatAgentConfig[]> => {
  if (!keys?.length) return [...inline];
  const wanted = [...new Set(keys.map((k) => k.trim()))];
  const repeated = wanted.find((k) => inline.some((a) => a.key === k));
  if (repeated) throw inputError(field, `Agent ${repeated.slice(0, 40)} is given inline and from the registry`, 'Name each agent once.');
  const found = await deps.store.collection(agentRegistry).find(scope, { key: { $in: wanted } });
  const registered = wanted.map((k) => found.find((a) => a.key === k && a.enabled));
  const missing = wanted.find((_, i) => !registered[i]);
  if (missing !== undefined) throw inputError(field, `No enabled registered agent ${missing.slice(0, 40)}`, 'Use keys from registeredAgents, or register the agent first.');
  return [...inline, ...registered.flatMap((a) => (a ? [{ key: a.key, name: a.name, role: a.role, instructions: a.instructions, capabilities: a.capabilities, policyIds: a.policyIds }] : []))];
};

/** Each agent's own policies (enabled ones), by agent key, loaded once. */
export const agentPolicies = async (deps: SubgraphDeps, scope: TenantScope, agents: readonly ChatAgentConfig[]): Promise<Map<string, PolicyBody[]>> => {
  const ids = [...new Set(agents.flatMap((a) => a.policyIds ?? []))];
  const loaded = ids.length ? await deps.store.collection(policies).getMany(scope, ids) : [];
  const byId = new Map(loaded.flatMap((p) => (p && p.enabled ? [[p.id, bodyOf(p)] as const] : [])));
  return new Map(agents.map((a) => [a.key, (a.policyIds ?? []).flatMap((id) => byId.get(id) ?? [])]));
};

/** A registered agent's policies, in its order (policies deleted since are left out). */
export const agentPolicyList = async (deps: SubgraphDeps, ctx: RequestContext, agent: RegisteredAgentModel): Promise<PolicyModel[]> =>
  (await deps.store.collection(policies).getMany(requireScope(ctx), agent.policyIds)).filter((p): p is PolicyModel => p !== null);

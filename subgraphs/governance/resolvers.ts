import { requireScope } from '../../platform/context.ts';
import { notFound } from '../../platform/errors.ts';
import type { ProvenanceRecord } from '../../platform/provenance/provenance.ts';
import type { SubgraphDeps } from '../../platform/server.ts';
import { loaderOf } from '../../platform/store/loader.ts';
import type { TenantScope } from '../../platform/context.ts';
import type { Resolvers } from './__generated__/resolvers-types.ts';
import { auditInclusionProof, auditRecordAt, createAuditCheckpoint, listAuditCheckpoints, listAuditRecords, verifyAuditChain } from './audit.ts';
import { complianceReport } from './compliance.ts';
import { launchCollaboration, listCollaborationRuns } from './collaboration.ts';
import { governanceAnalytics } from './analytics.ts';
import { agentPolicyList, listRegisteredAgents, registerAgent } from './agents.ts';
import { applyPolicies } from './apply-policies.ts';
import { createChatSession, listMessages, listSessions, resolveObserverReview, sendChatMessage, sessionTrust, triggerObserverReview } from './chat.ts';
import { baselineModel, dryRunPolicy, listPolicies, policyById, upsertPolicy } from './policies.ts';
import type { RuleMatch } from './domain/policy.ts';
import { agentRegistry, auditCheckpoints, auditRecords, collaborationRuns, chatMessages, chatSessions, chatTurns, interventions, policyDecisions, trustChanges, type ChatAgentConfig } from './store.ts';

const withProvenance = <T>(items: readonly T[], provenance: ProvenanceRecord): Array<T & { provenance: ProvenanceRecord }> => items.map((item) => ({ ...item, provenance }));

/** A required relation: a missing document is reported, never returned as null for a non-null field. */
const must = async <T>(value: Promise<T | null>, typename: string): Promise<T> => {
  const found = await value;
  if (!found) throw notFound(typename);
  return found;
};

/** Agents as the API shows them: inline agents have no capabilities or own policies. */
const agentsOf = (agents: readonly ChatAgentConfig[], provenance: ProvenanceRecord) => agents.map((a) => ({ ...a, capabilities: a.capabilities ?? [], policyIds: a.policyIds ?? [], provenance }));

const present = <T>(items: ReadonlyArray<T | null>): T[] => items.filter((item): item is T => item !== null);

const matchesOf = (matches: readonly RuleMatch[], provenance: ProvenanceRecord) => withProvenance(matches, provenance);

/** Thin resolvers: argument mapping, then audit.ts, policies.ts, chat.ts and domain/. */
export const createResolvers = (deps: SubgraphDeps, hashKey: (scope: TenantScope) => string): Resolvers => ({
  Query: {
    auditRecords: (_root, args, ctx) => listAuditRecords(deps, ctx, args),
    auditRecord: (_root, args, ctx) => auditRecordAt(deps, ctx, args.seq),
    auditCheckpoints: (_root, args, ctx) => listAuditCheckpoints(deps, ctx, args),
    verifyAuditChain: (_root, args, ctx) => verifyAuditChain(deps, ctx, args),
    auditInclusionProof: (_root, args, ctx) => auditInclusionProof(deps, ctx, args.seq),
    policies: (_root, _args, ctx) => listPolicies(deps, ctx),
    policy: (_root, args, ctx) => policyById(deps, ctx, args.id),
    baselinePolicy: (_root, _args, ctx) => baselineModel(deps, requireScope(ctx)),
    policyDecision: (_root, args, ctx) => loaderOf(ctx, deps.store, policyDecisions).load(args.id),
    dryRunPolicy: async (_root, args, ctx) => {
      const result = await dryRunPolicy(deps, ctx, hashKey, args.input);
      return { ...result, results: result.results.map((r) => ({ ...r, matches: matchesOf(r.matches, result.provenance), provenance: result.provenance })) };
    },
    chatSession: (_root, args, ctx) => loaderOf(ctx, deps.store, chatSessions).load(args.id),
    chatSessions: (_root, args, ctx) => listSessions(deps, ctx, args),
    chatTurn: (_root, args, ctx) => loaderOf(ctx, deps.store, chatTurns).load(args.id),
    observerIntervention: (_root, args, ctx) => loaderOf(ctx, deps.store, interventions).load(args.id),
    agentCollaborationRun: (_root, args, ctx) => loaderOf(ctx, deps.store, collaborationRuns).load(args.id),
    agentCollaborationRuns: (_root, args, ctx) => listCollaborationRuns(deps, ctx, args),
    complianceReport: async (_root, args, ctx) => {
      const report = await complianceReport(deps, ctx, args);
      const p = report.provenance;
      return {
        ...report,
        outcomes: withProvenance(report.outcomes, p),
        violationsByKind: withProvenance(report.violationsByKind, p),
        interventionsByAction: withProvenance(report.interventionsByAction, p),
        trustTrends: withProvenance(report.trustTrends, p),
      };
    },
    registeredAgents: (_root, args, ctx) => listRegisteredAgents(deps, ctx, args.capability),
    governanceAnalytics: async (_root, args, ctx) => {
      const a = await governanceAnalytics(deps, ctx, args);
      const p = a.provenance;
      const { effectiveness: e, conversationPatterns: c } = a;
      return {
        ...a,
        effectiveness: { ...e, byPoint: withProvenance(e.byPoint, p), violationsByKind: withProvenance(e.violationsByKind, p), provenance: p },
        agentPerformance: withProvenance(a.agentPerformance, p),
        trustTrends: withProvenance(a.trustTrends, p),
        conversationPatterns: { ...c, turnsByOutcome: withProvenance(c.turnsByOutcome, p), turnsByRoute: withProvenance(c.turnsByRoute, p), provenance: p },
      };
    },
  },
  Mutation: {
    createAuditCheckpoint: (_root, _args, ctx) => createAuditCheckpoint(deps, ctx),
    upsertPolicy: (_root, { input }, ctx) => upsertPolicy(deps, ctx, input),
    createChatSession: (_root, { input }, ctx) => createChatSession(deps, ctx, input),
    sendChatMessage: (_root, { input }, ctx) => sendChatMessage(deps, ctx, hashKey, input),
    triggerObserverReview: (_root, { input }, ctx) => triggerObserverReview(deps, ctx, hashKey, input),
    resolveObserverReview: (_root, { input }, ctx) => resolveObserverReview(deps, ctx, hashKey, input),
    applyPolicies: (_root, { input }, ctx) => applyPolicies(deps, ctx, hashKey, input),
    registerAgent: (_root, { input }, ctx) => registerAgent(deps, ctx, input),
    launchCollaboration: (_root, { input }, ctx) => launchCollaboration(deps, ctx, hashKey, input),
  },
  AgentCollaborationRun: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, collaborationRuns).load(ref.id as string),
    goalDecision: (run, _args, ctx) => must(loaderOf(ctx, deps.store, policyDecisions).load(run.goalDecisionId), 'PolicyDecision'),
    agents: (run) => agentsOf(run.agents, run.provenance),
    contributions: (run) => run.contributions.map((c) => ({ ...c, matches: matchesOf(c.matches, c.provenance) })),
    messages: (run) => withProvenance(run.messages, run.provenance),
    auditSummary: (run) => ({ ...run.auditSummary, provenance: run.provenance }),
  },
  AuditRecord: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, auditRecords).load(ref.id as string),
    actorId: (record) => record.actor.id,
    actorKind: (record) => record.actor.kind,
    changes: (record) => record.changes.map((c) => ({ collection: c.collection, documentId: c.id, op: c.op, beforeDigest: c.beforeDigest, afterDigest: c.afterDigest, provenance: record.provenance })),
  },
  RegisteredAgent: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, agentRegistry).load(ref.id as string),
    policies: (agent, _args, ctx) => agentPolicyList(deps, ctx, agent),
  },
  AuditCheckpoint: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, auditCheckpoints).load(ref.id as string),
  },
  Policy: {
    __resolveReference: (ref, ctx) => policyById(deps, ctx, ref.id as string),
    rules: (policy) => withProvenance(policy.rules, policy.provenance),
  },
  PolicyDecision: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, policyDecisions).load(ref.id as string),
    policyRevisions: (decision) => withProvenance(decision.policyRevisions, decision.provenance),
    matches: (decision) => matchesOf(decision.matches, decision.provenance),
    session: (decision, _args, ctx) => (decision.sessionId ? loaderOf(ctx, deps.store, chatSessions).load(decision.sessionId) : null),
    reevaluationOf: (decision, _args, ctx) => (decision.reevaluationOf ? loaderOf(ctx, deps.store, policyDecisions).load(decision.reevaluationOf) : null),
  },
  PolicyReevaluation: {
    session: (r, _args, ctx) => must(loaderOf(ctx, deps.store, chatSessions).load(r.sessionId), 'ChatSession'),
    policyRevisions: (r) => withProvenance(r.policyRevisions, r.provenance),
    intervention: (r, _args, ctx) => (r.interventionId ? loaderOf(ctx, deps.store, interventions).load(r.interventionId) : null),
  },
  PolicyReevaluationResult: {
    message: (r, _args, ctx) => must(loaderOf(ctx, deps.store, chatMessages).load(r.messageId), 'ChatMessage'),
    previousDecision: (r, _args, ctx) => must(loaderOf(ctx, deps.store, policyDecisions).load(r.previousDecisionId), 'PolicyDecision'),
    decision: (r, _args, ctx) => must(loaderOf(ctx, deps.store, policyDecisions).load(r.decisionId), 'PolicyDecision'),
  },
  ChatSession: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, chatSessions).load(ref.id as string),
    user: (session) => ({ id: session.userId }),
    agents: (session) => agentsOf(session.agents, session.provenance),
    trust: (session, _args, ctx) => sessionTrust(deps, ctx, session),
    trustHistory: (session, args, ctx) => {
      const last = Math.min(200, Math.max(1, args.last ?? 50));
      return deps.store.collection(trustChanges).find(requireScope(ctx), { sessionId: session.id }, { sort: { field: 'createdAt', direction: -1 }, limit: last });
    },
    messages: (session, args, ctx) => listMessages(deps, ctx, session.id, args),
    interventions: (session, _args, ctx) => deps.store.collection(interventions).find(requireScope(ctx), { sessionId: session.id }, { sort: { field: 'createdAt', direction: -1 }, limit: 200 }),
  },
  ChatMessage: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, chatMessages).load(ref.id as string),
    decision: (message, _args, ctx) => (message.decisionId ? loaderOf(ctx, deps.store, policyDecisions).load(message.decisionId) : null),
  },
  ChatTurn: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, chatTurns).load(ref.id as string),
    session: (turn, _args, ctx) => must(loaderOf(ctx, deps.store, chatSessions).load(turn.sessionId), 'ChatSession'),
    userMessage: (turn, _args, ctx) => must(loaderOf(ctx, deps.store, chatMessages).load(turn.userMessageId), 'ChatMessage'),
    responses: async (turn, _args, ctx) => present(await loaderOf(ctx, deps.store, chatMessages).loadMany(turn.responseMessageIds).then((r) => r.map((m) => (m instanceof Error ? null : m)))),
    inputDecision: (turn, _args, ctx) => must(loaderOf(ctx, deps.store, policyDecisions).load(turn.inputDecisionId), 'PolicyDecision'),
    outputDecision: (turn, _args, ctx) => (turn.outputDecisionId ? loaderOf(ctx, deps.store, policyDecisions).load(turn.outputDecisionId) : null),
    interactionDecision: (turn, _args, ctx) => (turn.interactionDecisionId ? loaderOf(ctx, deps.store, policyDecisions).load(turn.interactionDecisionId) : null),
    pipeline: (turn) => withProvenance(turn.pipeline, turn.provenance),
    interventions: async (turn, _args, ctx) => present(await loaderOf(ctx, deps.store, interventions).loadMany(turn.interventionIds).then((r) => r.map((m) => (m instanceof Error ? null : m)))),
    trustChanges: async (turn, _args, ctx) => present(await loaderOf(ctx, deps.store, trustChanges).loadMany(turn.trustChangeIds).then((r) => r.map((m) => (m instanceof Error ? null : m)))),
  },
  ObserverIntervention: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, interventions).load(ref.id as string),
    session: (intervention, _args, ctx) => must(loaderOf(ctx, deps.store, chatSessions).load(intervention.sessionId), 'ChatSession'),
    turn: (intervention, _args, ctx) => (intervention.turnId ? loaderOf(ctx, deps.store, chatTurns).load(intervention.turnId) : null),
    resolvedAt: (intervention) => intervention.resolvedAt ?? null,
    resolvedBy: (intervention) => intervention.resolvedBy ?? null,
    resolution: (intervention) => intervention.resolution ?? null,
    resolutionNote: (intervention) => intervention.resolutionNote ?? null,
  },
});

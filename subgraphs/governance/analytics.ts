import { requireScope, type RequestContext } from '../../platform/context.ts';
import type { ProvenanceRecord } from '../../platform/provenance/provenance.ts';
import type { SubgraphDeps } from '../../platform/server.ts';
import { MAX_DOCS, periodOf } from './compliance.ts';
import { summarizeAnalytics, type GovernanceAnalyticsSummary } from './domain/analytics.ts';
import { ACTION_SEVERITY } from './domain/policy.ts';
import { decayTowardBaseline } from './domain/trust.ts';
import { chatMessages, chatTurns, collaborationRuns, interventions, policyDecisions, trustChanges, trustScores } from './store.ts';

/**
 * Governance analytics of the caller's organization over [from, to): reads the period's decisions,
 * turns, agent outputs (chat answers and collaboration contributions), interventions and trust
 * changes, plus current agent trust, and summarizes them with the pure domain function.
 */
export const governanceAnalytics = async (deps: SubgraphDeps, ctx: RequestContext, args: { from: string | Date; to: string | Date }): Promise<GovernanceAnalyticsSummary & { from: string; to: string; truncated: boolean; provenance: ProvenanceRecord }> => {
  const scope = requireScope(ctx);
  const { from, to, range, options } = periodOf(args);
  const [decisions, turns, answers, runs, observed, changes, agentScores] = await Promise.all([
    deps.store.collection(policyDecisions).find(scope, { ...range, reevaluationOf: { $exists: false } }, options),
    deps.store.collection(chatTurns).find(scope, range, options),
    deps.store.collection(chatMessages).find(scope, { ...range, role: 'ASSISTANT' }, options),
    deps.store.collection(collaborationRuns).find(scope, range, options),
    deps.store.collection(interventions).find(scope, range, options),
    deps.store.collection(trustChanges).find(scope, range, options),
    deps.store.collection(trustScores).find(scope, { kind: 'AGENT' }, { limit: MAX_DOCS }),
  ]);
  const outcomeOf = new Map(decisions.map((d) => [d.id, d.outcome]));
  const chatOutputs = answers.flatMap((m) => {
    const outcome = m.decisionId ? outcomeOf.get(m.decisionId) : undefined;
    return m.agentKey && outcome ? [{ agentKey: m.agentKey, outcome, confidence: m.provenance.confidence ?? null }] : [];
  });
  const runOutputs = runs.flatMap((run) =>
    run.contributions
      .filter((c) => c.agentKey !== 'system')
      // A contribution withheld before the model has no model confidence.
      .map((c) => ({ agentKey: c.agentKey, outcome: c.outcome, confidence: c.text === '' && ACTION_SEVERITY[c.outcome] >= ACTION_SEVERITY.ESCALATE ? null : c.confidence })),
  );
  const now = Date.now();
  const agentTrust = new Map(agentScores.map((s) => [s.subjectId, decayTowardBaseline(s.score, (now - Date.parse(s.changedAt)) / 3_600_000)]));
  const summary = summarizeAnalytics({ decisions, turns, agentOutputs: [...chatOutputs, ...runOutputs], interventions: observed, trustChanges: changes, agentTrust });
  const counts = [decisions, turns, answers, runs, observed, changes].map((list) => list.length);
  const truncated = counts.some((n) => n >= MAX_DOCS);
  const provenance = deps.provenance.build(
    { method: 'STATISTICAL', inputs: { from: from.toISOString(), to: to.toISOString(), counts }, explanation: `Counts and means over the period's decisions, turns, agent outputs, interventions and trust changes${truncated ? ` (first ${MAX_DOCS} of each)` : ''}`, confidence: truncated ? 0.8 : 1 },
    ctx.correlationId,
  );
  return { ...summary, from: from.toISOString(), to: to.toISOString(), truncated, provenance };
};

import { requireScope, type RequestContext, type TenantScope } from '../../platform/context.ts';
import { notFound } from '../../platform/errors.ts';
import type { SubgraphDeps } from '../../platform/server.ts';
import { reevaluate, type StoredDecisionOf } from './domain/reevaluation.ts';
import { actorOf, policiesFor } from './policies.ts';
import { chatMessages, chatSessions, interventions, policyDecisions, type PolicyReevaluationModel } from './store.ts';

/** At most this many messages of a session are re-evaluated (the most recent ones). */
export const MAX_REEVALUATED = 500;

/**
 * applyPolicies: decides a session's stored messages again under today's policy revisions (each at the
 * point and with the roles of its original decision), records the new decisions linked to the old
 * ones, and queues an observer review (published on observer_events) when messages that were let
 * through would now be blocked or escalated. One audited transaction.
 */
export const applyPolicies = async (deps: SubgraphDeps, ctx: RequestContext, hashKey: (scope: TenantScope) => string, input: { sessionId: string }): Promise<PolicyReevaluationModel> => {
  const scope = requireScope(ctx);
  const session = await deps.store.collection(chatSessions).get(scope, input.sessionId);
  if (!session) throw notFound('ChatSession');
  const newest = await deps.store.collection(chatMessages).find(scope, { sessionId: session.id }, { sort: { field: 'createdAt', direction: -1 }, limit: MAX_REEVALUATED });
  const messages = newest.reverse().filter((m) => m.role !== 'SYSTEM' && m.decisionId !== null);
  const previous = await deps.store.collection(policyDecisions).getMany(scope, messages.map((m) => m.decisionId ?? ''));
  const items: StoredDecisionOf[] = messages.flatMap((m, i) => {
    const d = previous[i];
    return d ? [{ messageId: m.id, text: m.text, point: d.point, previousDecisionId: d.id, previousOutcome: d.outcome, roles: d.roles ?? [] }] : [];
  });
  const bodies = await policiesFor(deps, scope, session);
  const summary = reevaluate(bodies, items, hashKey(scope));
  const policyRevisions = bodies.filter((b) => b.enabled).map((b) => ({ policyId: b.id, revision: b.revision }));
  const provenance = deps.provenance.build(
    { method: 'RULE', inputs: { sessionId: session.id, policyRevisions, decisions: items.map((i) => i.previousDecisionId) }, explanation: `Re-evaluated ${items.length} stored message(s) under the current policy revisions: ${summary.changedCount} changed`, confidence: 1 },
    ctx.correlationId,
  );
  return deps.store.transaction(scope, { action: 'governance.applyPolicies', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => {
    const results = summary.results.map((r, i) => {
      const e = r.evaluation;
      const decision = tx.insert(
        policyDecisions,
        { point: e.point, outcome: e.outcome, inputDigest: e.inputDigest, policyRevisions: e.policyRevisions, matches: e.matches, redactedText: e.redactedText, sessionId: session.id, turnId: previous[i]?.turnId ?? null, roles: [...items[i].roles], reevaluationOf: r.previousDecisionId },
        provenance,
      );
      return { messageId: r.messageId, previousDecisionId: r.previousDecisionId, decisionId: decision.id, changed: r.changed, provenance };
    });
    let interventionId: string | null = null;
    if (summary.newlyWithheld.length) {
      const reason = `re-evaluation under current policy revisions: ${summary.newlyWithheld.length} earlier message(s) would now be withheld (${summary.worst})`;
      const intervention = tx.insert(interventions, { sessionId: session.id, turnId: null, trigger: 'POLICY_VIOLATION', action: 'REQUIRE_REVIEW', outcome: 'QUEUED_FOR_REVIEW', reason }, provenance);
      tx.emit({ type: 'observer.intervention', topic: 'observer_events', subject: { typename: 'ObserverIntervention', id: intervention.id }, payload: { sessionId: session.id, trigger: 'POLICY_VIOLATION', action: 'REQUIRE_REVIEW', outcome: 'QUEUED_FOR_REVIEW' } }, provenance);
      interventionId = intervention.id;
    }
    tx.emit({ type: 'policy.session.reevaluated', topic: 'governance_events', subject: { typename: 'ChatSession', id: session.id }, payload: { evaluated: results.length, changed: summary.changedCount, newlyWithheld: summary.newlyWithheld.length } }, provenance);
    return { sessionId: session.id, policyRevisions, evaluatedCount: results.length, changedCount: summary.changedCount, results, interventionId, provenance };
  });
};

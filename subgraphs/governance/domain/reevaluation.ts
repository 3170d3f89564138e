import { ACTION_SEVERITY, evaluatePolicies, type PolicyAction, type PolicyBody, type PolicyEvaluation, type PolicyPoint } from './policy.ts';

/** A stored message and the decision it was given when it was sent. */
export interface StoredDecisionOf {
  messageId: string;
  /** Stored (redacted) text. */
  text: string;
  point: PolicyPoint;
  previousDecisionId: string;
  previousOutcome: PolicyAction;
  /** Roles of the sender at the time (empty for decisions recorded before roles were kept). */
  roles: readonly string[];
}

export interface Reevaluated {
  messageId: string;
  previousDecisionId: string;
  previousOutcome: PolicyAction;
  evaluation: PolicyEvaluation;
  changed: boolean;
}

export interface ReevaluationSummary {
  results: Reevaluated[];
  changedCount: number;
  /** Messages that today's revisions block or escalate but that were let through when sent. */
  newlyWithheld: string[];
  /** Most severe outcome over all re-evaluated messages. */
  worst: PolicyAction;
}

/**
 * Re-evaluates stored messages under the given policy revisions, each at the point and with the
 * roles of its original decision. Stored text is redacted, so its markers stand for the spans they
 * replaced (`stored: true`). Pure.
 */
export const reevaluate = (policies: readonly PolicyBody[], messages: readonly StoredDecisionOf[], hashKey: string): ReevaluationSummary => {
  const results = messages.map((m): Reevaluated => {
    const evaluation = evaluatePolicies(policies, { text: m.text, point: m.point, roles: m.roles, hashKey, stored: true });
    return { messageId: m.messageId, previousDecisionId: m.previousDecisionId, previousOutcome: m.previousOutcome, evaluation, changed: evaluation.outcome !== m.previousOutcome };
  });
  const withheld = (a: PolicyAction): boolean => ACTION_SEVERITY[a] >= ACTION_SEVERITY.ESCALATE;
  return {
    results,
    changedCount: results.filter((r) => r.changed).length,
    newlyWithheld: results.filter((r) => withheld(r.evaluation.outcome) && !withheld(r.previousOutcome)).map((r) => r.messageId),
    worst: results.reduce<PolicyAction>((w, r) => (ACTION_SEVERITY[r.evaluation.outcome] > ACTION_SEVERITY[w] ? r.evaluation.outcome : w), 'ALLOW'),
  };
};

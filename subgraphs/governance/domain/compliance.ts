import type { ObserverAction } from './observer.ts';
import type { PolicyAction, PolicyRuleKind } from './policy.ts';
import type { TrustKind } from './trust.ts';

export interface ComplianceInputs {
  decisions: ReadonlyArray<{ outcome: PolicyAction; matches: ReadonlyArray<{ kind: PolicyRuleKind; count: number }> }>;
  interventions: ReadonlyArray<{ action: ObserverAction }>;
  trustChanges: ReadonlyArray<{ kind: TrustKind; oldScore: number; newScore: number }>;
}

export interface ComplianceSummary {
  decisionCount: number;
  compliantCount: number;
  /** Share of decisions where no rule matched (ALLOW); null without decisions. */
  complianceRate: number | null;
  outcomes: Array<{ outcome: PolicyAction; count: number }>;
  violationsByKind: Array<{ kind: PolicyRuleKind; decisions: number; spans: number }>;
  interventionsByAction: Array<{ action: ObserverAction; count: number }>;
  trustTrends: Array<{ kind: TrustKind; changes: number; netChange: number; firstScore: number; lastScore: number }>;
}

const round = (value: number): number => Math.round(value * 10_000) / 10_000;

/** Compliance of a period, from its decisions, interventions and trust changes (each oldest first). */
export const summarizeCompliance = (inputs: ComplianceInputs): ComplianceSummary => {
  const outcomes = new Map<PolicyAction, number>();
  const kinds = new Map<PolicyRuleKind, { decisions: number; spans: number }>();
  for (const decision of inputs.decisions) {
    outcomes.set(decision.outcome, (outcomes.get(decision.outcome) ?? 0) + 1);
    const seen = new Set<PolicyRuleKind>();
    for (const match of decision.matches) {
      const entry = kinds.get(match.kind) ?? { decisions: 0, spans: 0 };
      if (!seen.has(match.kind)) entry.decisions += 1;
      seen.add(match.kind);
      entry.spans += match.count;
      kinds.set(match.kind, entry);
    }
  }
  const actions = new Map<ObserverAction, number>();
  for (const i of inputs.interventions) actions.set(i.action, (actions.get(i.action) ?? 0) + 1);
  const trends = new Map<TrustKind, { changes: number; netChange: number; firstScore: number; lastScore: number }>();
  for (const change of inputs.trustChanges) {
    const entry = trends.get(change.kind) ?? { changes: 0, netChange: 0, firstScore: change.oldScore, lastScore: change.oldScore };
    entry.changes += 1;
    entry.netChange = round(entry.netChange + change.newScore - change.oldScore);
    entry.lastScore = change.newScore;
    trends.set(change.kind, entry);
  }
  const compliantCount = outcomes.get('ALLOW') ?? 0;
  return {
    decisionCount: inputs.decisions.length,
    compliantCount,
    complianceRate: inputs.decisions.length ? round(compliantCount / inputs.decisions.length) : null,
    outcomes: [...outcomes].map(([outcome, count]) => ({ outcome, count })).sort((a, b) => b.count - a.count || a.outcome.localeCompare(b.outcome)),
    violationsByKind: [...kinds].map(([kind, v]) => ({ kind, ...v })).sort((a, b) => b.decisions - a.decisions || a.kind.localeCompare(b.kind)),
    interventionsByAction: [...actions].map(([action, count]) => ({ action, count })).sort((a, b) => b.count - a.count || a.action.localeCompare(b.action)),
    trustTrends: [...trends].map(([kind, t]) => ({ kind, ...t })).sort((a, b) => a.kind.localeCompare(b.kind)),
  };
};

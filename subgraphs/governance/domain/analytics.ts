import { summarizeCompliance, type ComplianceSummary } from './compliance.ts';
import type { ObserverAction, ObserverTrigger } from './observer.ts';
import { ACTION_SEVERITY, type PolicyAction, type PolicyPoint, type PolicyRuleKind } from './policy.ts';
import type { TrustKind, TurnRoute } from './trust.ts';

export type TurnOutcome = 'DELIVERED' | 'WARNED' | 'REDACTED' | 'BLOCKED' | 'ESCALATED';

export interface AnalyticsInputs {
  decisions: ReadonlyArray<{ point: PolicyPoint; outcome: PolicyAction; matches: ReadonlyArray<{ kind: PolicyRuleKind; count: number }> }>;
  turns: ReadonlyArray<{ sessionId: string; outcome: TurnOutcome; route: TurnRoute; createdAt: string; governanceMs: number }>;
  /** Every agent output of the period: chat answers (and multi-agent contributions) and collaboration contributions. */
  agentOutputs: ReadonlyArray<{ agentKey: string; outcome: PolicyAction; confidence: number | null }>;
  interventions: ReadonlyArray<{ sessionId: string; action: ObserverAction; trigger: ObserverTrigger }>;
  trustChanges: ReadonlyArray<{ kind: TrustKind; oldScore: number; newScore: number }>;
  /** Current trust score of each agent key. */
  agentTrust: ReadonlyMap<string, number>;
}

export interface GovernanceAnalyticsSummary {
  effectiveness: {
    decisionCount: number;
    complianceRate: number | null;
    byPoint: Array<{ point: PolicyPoint; decisions: number; violations: number; violationRate: number }>;
    violationsByKind: ComplianceSummary['violationsByKind'];
    /** Observer interventions per chat turn; null without turns. */
    interventionsPerTurn: number | null;
    /** Share of turns withheld (BLOCKED or ESCALATED); null without turns. */
    withheldTurnRate: number | null;
    /** Mean time the pipeline spent on governance (everything but the model) per turn, ms. */
    meanGovernanceMs: number | null;
  };
  agentPerformance: Array<{ agentKey: string; outputs: number; flagged: number; withheld: number; flaggedRate: number; meanConfidence: number | null; trust: number | null }>;
  trustTrends: ComplianceSummary['trustTrends'];
  conversationPatterns: {
    sessions: number;
    turns: number;
    meanTurnsPerSession: number | null;
    turnsByOutcome: Array<{ outcome: TurnOutcome; count: number }>;
    turnsByRoute: Array<{ route: TurnRoute; count: number }>;
    /** Turns per hour of the day (UTC), index 0 = 00:00–00:59. */
    turnsByHourUtc: number[];
    sessionsWithInterventions: number;
    sessionsHandedToHuman: number;
    sessionsEndedByObserver: number;
  };
}

const round = (value: number): number => Math.round(value * 10_000) / 10_000;
const rate = (part: number, whole: number): number | null => (whole ? round(part / whole) : null);
const POINTS: readonly PolicyPoint[] = ['INPUT', 'PROCESSING', 'OUTPUT', 'INTERACTION'];

const counted = <K extends string>(values: readonly K[]): Array<{ key: K; count: number }> => {
  const counts = new Map<K, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
};

/**
 * Governance analytics of a period, for one organization: how effective the policies were (compliance
 * and violation rates per point and kind, interventions, withheld turns, governance time), how each
 * agent performed (outputs, flagged and withheld shares, confidence, current trust), trust trends, and
 * conversation patterns (turns per session, outcomes, routes, hour of day, hand-offs). Pure.
 */
export const summarizeAnalytics = (inputs: AnalyticsInputs): GovernanceAnalyticsSummary => {
  const compliance = summarizeCompliance({ decisions: inputs.decisions, interventions: inputs.interventions, trustChanges: inputs.trustChanges });
  const byPoint = POINTS.map((point) => {
    const at = inputs.decisions.filter((d) => d.point === point);
    const violations = at.filter((d) => d.outcome !== 'ALLOW').length;
    return { point, decisions: at.length, violations, violationRate: rate(violations, at.length) ?? 0 };
  }).filter((p) => p.decisions > 0);

  const agents = new Map<string, { outputs: number; flagged: number; withheld: number; confidenceSum: number; confidenceCount: number }>();
  for (const o of inputs.agentOutputs) {
    const entry = agents.get(o.agentKey) ?? { outputs: 0, flagged: 0, withheld: 0, confidenceSum: 0, confidenceCount: 0 };
    entry.outputs += 1;
    if (o.outcome !== 'ALLOW') entry.flagged += 1;
    if (ACTION_SEVERITY[o.outcome] >= ACTION_SEVERITY.ESCALATE) entry.withheld += 1;
    if (o.confidence !== null) {
      entry.confidenceSum += o.confidence;
      entry.confidenceCount += 1;
    }
    agents.set(o.agentKey, entry);
  }
  const agentPerformance = [...agents]
    .map(([agentKey, a]) => ({
      agentKey,
      outputs: a.outputs,
      flagged: a.flagged,
      withheld: a.withheld,
      flaggedRate: rate(a.flagged, a.outputs) ?? 0,
      meanConfidence: a.confidenceCount ? round(a.confidenceSum / a.confidenceCount) : null,
      trust: inputs.agentTrust.get(agentKey) ?? null,
    }))
    .sort((a, b) => b.outputs - a.outputs || a.agentKey.localeCompare(b.agentKey));

  const turns = inputs.turns;
  const sessions = new Set(turns.map((t) => t.sessionId));
  const turnsByHourUtc = Array.from({ length: 24 }, () => 0);
  for (const t of turns) turnsByHourUtc[new Date(t.createdAt).getUTCHours()] += 1;
  const sessionsWith = (predicate: (i: AnalyticsInputs['interventions'][number]) => boolean): number => new Set(inputs.interventions.filter(predicate).map((i) => i.sessionId)).size;

  return {
    effectiveness: {
      decisionCount: compliance.decisionCount,
      complianceRate: compliance.complianceRate,
      byPoint,
      violationsByKind: compliance.violationsByKind,
      interventionsPerTurn: rate(inputs.interventions.filter((i) => i.trigger !== 'MANUAL_REVIEW').length, turns.length),
      withheldTurnRate: rate(turns.filter((t) => t.outcome === 'BLOCKED' || t.outcome === 'ESCALATED').length, turns.length),
      meanGovernanceMs: turns.length ? round(turns.reduce((sum, t) => sum + t.governanceMs, 0) / turns.length) : null,
    },
    agentPerformance,
    trustTrends: compliance.trustTrends,
    conversationPatterns: {
      sessions: sessions.size,
      turns: turns.length,
      meanTurnsPerSession: rate(turns.length, sessions.size),
      turnsByOutcome: counted(turns.map((t) => t.outcome)).map(({ key, count }) => ({ outcome: key, count })),
      turnsByRoute: counted(turns.map((t) => t.route)).map(({ key, count }) => ({ route: key, count })),
      turnsByHourUtc,
      sessionsWithInterventions: sessionsWith(() => true),
      sessionsHandedToHuman: sessionsWith((i) => i.action === 'HAND_TO_HUMAN'),
      sessionsEndedByObserver: sessionsWith((i) => i.action === 'END_SESSION' && i.trigger !== 'MANUAL_REVIEW'),
    },
  };
};

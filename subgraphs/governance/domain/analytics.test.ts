import { summarizeAnalytics, type AnalyticsInputs } from './analytics.ts';

const inputs: AnalyticsInputs = {
  decisions: [
    { point: 'INPUT', outcome: 'ALLOW', matches: [] },
    { point: 'INPUT', outcome: 'REDACT', matches: [{ kind: 'PII', count: 2 }] },
    { point: 'INPUT', outcome: 'BLOCK', matches: [{ kind: 'PROMPT_INJECTION', count: 1 }] },
    { point: 'INPUT', outcome: 'ALLOW', matches: [] },
    { point: 'OUTPUT', outcome: 'ALLOW', matches: [] },
    { point: 'OUTPUT', outcome: 'WARN', matches: [{ kind: 'TOXICITY', count: 1 }] },
    { point: 'PROCESSING', outcome: 'ALLOW', matches: [] },
  ],
  turns: [
    { sessionId: 's1', outcome: 'DELIVERED', route: 'STANDARD', createdAt: '2026-03-02T09:15:00.000Z', governanceMs: 2 },
    { sessionId: 's1', outcome: 'REDACTED', route: 'STANDARD', createdAt: '2026-03-02T09:40:00.000Z', governanceMs: 4 },
    { sessionId: 's1', outcome: 'BLOCKED', route: 'STANDARD', createdAt: '2026-03-02T10:05:00.000Z', governanceMs: 1 },
    { sessionId: 's2', outcome: 'WARNED', route: 'STRICT', createdAt: '2026-03-02T23:59:59.000Z', governanceMs: 3 },
  ],
  agentOutputs: [
    { agentKey: 'helper', outcome: 'ALLOW', confidence: 0.8 },
    { agentKey: 'helper', outcome: 'WARN', confidence: 0.6 },
    { agentKey: 'helper', outcome: 'ALLOW', confidence: 0.7 },
    { agentKey: 'critic', outcome: 'BLOCK', confidence: null },
    { agentKey: 'critic', outcome: 'ALLOW', confidence: 0.5 },
    { agentKey: 'spark', outcome: 'ALLOW', confidence: 0.9 },
    { agentKey: 'spark', outcome: 'ESCALATE', confidence: 0.4 },
  ],
  interventions: [
    { sessionId: 's1', action: 'WARN', trigger: 'POLICY_VIOLATION' },
    { sessionId: 's1', action: 'REQUIRE_REVIEW', trigger: 'POLICY_VIOLATION' },
    { sessionId: 's2', action: 'HAND_TO_HUMAN', trigger: 'TRUST_DROP' },
    { sessionId: 's2', action: 'END_SESSION', trigger: 'MANUAL_REVIEW' },
  ],
  trustChanges: [
    { kind: 'USER', oldScore: 0.7, newScore: 0.5 },
    { kind: 'USER', oldScore: 0.5, newScore: 0.52 },
    { kind: 'AGENT', oldScore: 0.7, newScore: 0.72 },
  ],
  agentTrust: new Map([
    ['helper', 0.74],
    ['critic', 0.5],
  ]),
};

describe('summarizeAnalytics', () => {
  const summary = summarizeAnalytics(inputs);

  it('measures governance effectiveness per point and kind', () => {
    expect(summary.effectiveness).toEqual({
      decisionCount: 7,
      // 4 of 7 ALLOW
      complianceRate: 0.5714,
      byPoint: [
        { point: 'INPUT', decisions: 4, violations: 2, violationRate: 0.5 },
        { point: 'PROCESSING', decisions: 1, violations: 0, violationRate: 0 },
        { point: 'OUTPUT', decisions: 2, violations: 1, violationRate: 0.5 },
      ],
      violationsByKind: [
        { kind: 'PII', decisions: 1, spans: 2 },
        { kind: 'PROMPT_INJECTION', decisions: 1, spans: 1 },
        { kind: 'TOXICITY', decisions: 1, spans: 1 },
      ],
      // 3 automatic interventions (the manual review is not the observer's doing) over 4 turns
      interventionsPerTurn: 0.75,
      withheldTurnRate: 0.25,
      meanGovernanceMs: 2.5,
    });
  });

  it('rates each agent: outputs, flagged and withheld shares, mean confidence, current trust', () => {
    expect(summary.agentPerformance).toEqual([
      { agentKey: 'helper', outputs: 3, flagged: 1, withheld: 0, flaggedRate: 0.3333, meanConfidence: 0.7, trust: 0.74 },
      { agentKey: 'critic', outputs: 2, flagged: 1, withheld: 1, flaggedRate: 0.5, meanConfidence: 0.5, trust: 0.5 },
      { agentKey: 'spark', outputs: 2, flagged: 1, withheld: 1, flaggedRate: 0.5, meanConfidence: 0.65, trust: null },
    ]);
  });

  it('keeps trust trends per kind', () => {
    expect(summary.trustTrends).toEqual([
      { kind: 'AGENT', changes: 1, netChange: 0.02, firstScore: 0.7, lastScore: 0.72 },
      { kind: 'USER', changes: 2, netChange: -0.18, firstScore: 0.7, lastScore: 0.52 },
    ]);
  });

  it('describes conversation patterns', () => {
    const hours = Array.from({ length: 24 }, () => 0);
    hours[9] = 2;
    hours[10] = 1;
    hours[23] = 1;
    expect(summary.conversationPatterns).toEqual({
      sessions: 2,
      turns: 4,
      meanTurnsPerSession: 2,
      turnsByOutcome: [
        { outcome: 'BLOCKED', count: 1 },
        { outcome: 'DELIVERED', count: 1 },
        { outcome: 'REDACTED', count: 1 },
        { outcome: 'WARNED', count: 1 },
      ],
      turnsByRoute: [
        { route: 'STANDARD', count: 3 },
        { route: 'STRICT', count: 1 },
      ],
      turnsByHourUtc: hours,
      sessionsWithInterventions: 2,
      sessionsHandedToHuman: 1,
      // s2 was ended by a person, not by the observer
      sessionsEndedByObserver: 0,
    });
  });

  it('answers null rates for an empty period', () => {
    const empty = summarizeAnalytics({ decisions: [], turns: [], agentOutputs: [], interventions: [], trustChanges: [], agentTrust: new Map() });
    expect(empty.effectiveness).toMatchObject({ decisionCount: 0, complianceRate: null, byPoint: [], interventionsPerTurn: null, withheldTurnRate: null, meanGovernanceMs: null });
    expect(empty.conversationPatterns).toMatchObject({ sessions: 0, turns: 0, meanTurnsPerSession: null });
  });
});

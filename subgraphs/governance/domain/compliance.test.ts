import { summarizeCompliance } from './compliance.ts';

describe('summarizeCompliance', () => {
  it('computes rates, violations by kind, interventions and trust trends', () => {
    const summary = summarizeCompliance({
      decisions: [
        { outcome: 'ALLOW', matches: [] },
        { outcome: 'ALLOW', matches: [] },
        { outcome: 'REDACT', matches: [{ kind: 'PII', count: 2 }] },
        { outcome: 'BLOCK', matches: [{ kind: 'PROMPT_INJECTION', count: 1 }, { kind: 'PII', count: 1 }, { kind: 'PII', count: 1 }] },
      ],
      interventions: [{ action: 'WARN' }, { action: 'REQUIRE_REVIEW' }, { action: 'WARN' }],
      trustChanges: [
        { kind: 'USER', oldScore: 0.7, newScore: 0.5 },
        { kind: 'USER', oldScore: 0.5, newScore: 0.52 },
        { kind: 'CONVERSATION', oldScore: 0.7, newScore: 0.72 },
      ],
    });
    expect(summary).toEqual({
      decisionCount: 4,
      compliantCount: 2,
      complianceRate: 0.5,
      outcomes: [{ outcome: 'ALLOW', count: 2 }, { outcome: 'BLOCK', count: 1 }, { outcome: 'REDACT', count: 1 }],
      violationsByKind: [{ kind: 'PII', decisions: 2, spans: 4 }, { kind: 'PROMPT_INJECTION', decisions: 1, spans: 1 }],
      interventionsByAction: [{ action: 'WARN', count: 2 }, { action: 'REQUIRE_REVIEW', count: 1 }],
      trustTrends: [{ kind: 'CONVERSATION', changes: 1, netChange: 0.02, firstScore: 0.7, lastScore: 0.72 }, { kind: 'USER', changes: 2, netChange: -0.18, firstScore: 0.7, lastScore: 0.52 }],
    });
    expect(summarizeCompliance({ decisions: [], interventions: [], trustChanges: [] }).complianceRate).toBeNull();
  });
});

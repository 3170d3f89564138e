import { DomainError } from '../../../platform/errors.ts';
import { DEFAULT_WEIGHTS, bandOf, checkSignals, checkWeights, daysBetween, evaluateAlerts, explainScore, healthScore, normalizeSignals, playbookFor } from './health.ts';

const fieldOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error.options.field;
    throw error;
  }
  return undefined;
};

const perfect = { usageFrequency: 7, errorRate: 0, csat: 5, openTickets: 0, engagement: 1 };
const mixed = { usageFrequency: 3.5, errorRate: 0.05, csat: 3, openTickets: 3, engagement: 0.4 };

describe('health score', () => {
  it('normalizes each signal to 0–100 with clamps', () => {
    expect(normalizeSignals(mixed)).toEqual({ usageFrequency: 50, errorRate: 50, csat: 50, openTickets: 70, engagement: 40 });
    expect(normalizeSignals({ usageFrequency: 0, errorRate: 0.2, csat: 1, openTickets: 12, engagement: 0 })).toEqual({ usageFrequency: 0, errorRate: 0, csat: 0, openTickets: 0, engagement: 0 });
  });

  it('is the weighted mean of the components', () => {
    expect(healthScore(perfect, DEFAULT_WEIGHTS)).toMatchObject({ score: 100, band: 'GREEN' });
    // 0.25×50 + 0.2×50 + 0.2×50 + 0.15×70 + 0.2×40 = 12.5 + 10 + 10 + 10.5 + 8 = 51
    expect(healthScore(mixed, DEFAULT_WEIGHTS)).toMatchObject({ score: 51, band: 'RED' });
    // weights normalized by their sum: (50 + 70) / 2 = 60
    expect(healthScore(mixed, { usageFrequency: 1, errorRate: 0, csat: 0, openTickets: 1, engagement: 0 })).toMatchObject({ score: 60, band: 'YELLOW' });
  });

  it('bands: red below 60, yellow 60–80, green above 80', () => {
    expect([59, 60, 80, 81].map(bandOf)).toEqual(['RED', 'YELLOW', 'YELLOW', 'GREEN']);
  });

  it('explains the weights in the provenance line', () => {
    const text = explainScore(51, normalizeSignals(mixed), DEFAULT_WEIGHTS);
    expect(text).toContain('usageFrequency 50 × 0.25');
    expect(text).toContain('openTickets 70 × 0.15');
  });

  it('rejects out-of-range signals and weights, naming the field', () => {
    expect(fieldOf(() => checkSignals({ ...perfect, csat: 0 }))).toBe('input.csat');
    expect(fieldOf(() => checkSignals({ ...perfect, openTickets: 1.5 }))).toBe('input.openTickets');
    expect(fieldOf(() => checkSignals({ ...perfect, usageFrequency: 8 }))).toBe('input.usageFrequency');
    expect(fieldOf(() => checkSignals(perfect))).toBeUndefined();
    expect(fieldOf(() => checkWeights({ usageFrequency: 0, errorRate: 0, csat: 0, openTickets: 0, engagement: 0 }))).toBe('input');
    expect(fieldOf(() => checkWeights({ ...DEFAULT_WEIGHTS, csat: 2 }))).toBe('input.csat');
  });
});

describe('health alert rules', () => {
  it('counts days between UTC dates', () => {
    expect(daysBetween('2026-11-13', '2026-11-20')).toBe(7);
    expect(daysBetween('2026-02-27', '2026-03-01')).toBe(2);
  });

  it('raises SCORE_DROP when the 7-day peak exceeds today by more than 10', () => {
    const [alert] = evaluateAlerts({ day: '2026-11-20', score: 70 }, [{ day: '2026-11-13', score: 85 }, { day: '2026-11-15', score: 78 }], []);
    expect(alert).toMatchObject({ kind: 'SCORE_DROP', dropPoints: 15 });
    expect(alert.message).toBe('Health score dropped 15 points in 7 days (from 85 to 70)');
  });

  it('does not raise SCORE_DROP for exactly 10 points, for peaks older than 7 days, or twice in 7 days', () => {
    expect(evaluateAlerts({ day: '2026-11-20', score: 75 }, [{ day: '2026-11-19', score: 85 }], [])).toEqual([]);
    expect(evaluateAlerts({ day: '2026-11-20', score: 70 }, [{ day: '2026-11-12', score: 85 }], [])).toEqual([]);
    expect(evaluateAlerts({ day: '2026-11-20', score: 70 }, [{ day: '2026-11-19', score: 85 }], [{ kind: 'SCORE_DROP', day: '2026-11-18' }])).toEqual([]);
    expect(evaluateAlerts({ day: '2026-11-20', score: 70 }, [{ day: '2026-11-19', score: 85 }], [{ kind: 'SCORE_DROP', day: '2026-11-20' }])).toEqual([]);
  });

  it('raises SUSTAINED_RED after 14 red days, once per streak', () => {
    const streak = [{ day: '2026-11-06', score: 55 }, { day: '2026-11-10', score: 40 }, { day: '2026-11-15', score: 58 }];
    expect(evaluateAlerts({ day: '2026-11-20', score: 50 }, streak, [])).toEqual([{ kind: 'SUSTAINED_RED', dropPoints: null, redDays: 14, message: 'Health score has been red for 14 days (today 50)' }]);
    expect(evaluateAlerts({ day: '2026-11-19', score: 50 }, streak, [])).toEqual([]);
    expect(evaluateAlerts({ day: '2026-11-20', score: 50 }, streak, [{ kind: 'SUSTAINED_RED', day: '2026-11-18' }])).toEqual([]);
    expect(evaluateAlerts({ day: '2026-11-20', score: 50 }, streak, [{ kind: 'SUSTAINED_RED', day: '2026-11-01' }])).toHaveLength(1);
  });

  it('restarts the red streak after a non-red day', () => {
    const broken = [{ day: '2026-11-06', score: 55 }, { day: '2026-11-08', score: 65 }, { day: '2026-11-10', score: 40 }, { day: '2026-11-15', score: 58 }];
    expect(evaluateAlerts({ day: '2026-11-20', score: 50 }, broken, [])).toEqual([]);
  });

  it('plays red alerts as a call with more touchpoints', () => {
    const red = playbookFor({ kind: 'SCORE_DROP', dropPoints: 20, redDays: null, message: 'm' }, 'RED');
    expect(red.priority).toBe('HIGH');
    expect(red.dueInHours).toBe(48);
    expect(red.actions.join(' ')).toMatch(/Schedule a call/);
    expect(red.actions.join(' ')).toMatch(/touchpoints/);
    expect(playbookFor({ kind: 'SCORE_DROP', dropPoints: 12, redDays: null, message: 'm' }, 'YELLOW').priority).toBe('MEDIUM');
  });
});

import { adoptionValue, coverageValue, depthOf, liftOf, outcomesValue, previousWindow, scoreImpact, trendOf, type ScorableEvent } from './impact-scoring.ts';
import { generationsOf, viralityOf } from './virality.ts';

const ev = (patch: Partial<ScorableEvent>): ScorableEvent => ({
  kind: 'WORKFLOW_AUGMENTATION', personId: 'p1', solutionId: null, sourceId: null, minutesSaved: null, turns: null, coveredMinutes: null, totalMinutes: null, baseline: null, value: null, higherIsBetter: null, ...patch,
});

describe('impact scoring', () => {
  it('scores a weighted mean renormalized over present components', () => {
    const result = scoreImpact([ev({ minutesSaved: 480 }), ev({ kind: 'BUSINESS_OUTCOME', baseline: 100, value: 150, higherIsBetter: true })]);
    // augmentation 100(1−e^−1) = 63.21; outcomes 50 + 50×0.5 = 75; (0.25×63.21 + 0.3×75) / 0.55 = 69.64
    expect(result.score).toBe(69.64);
    const aug = result.components.find((c) => c.name === 'AUGMENTATION');
    expect(aug?.value).toBe(63.21);
    expect(aug?.effectiveWeight).toBeCloseTo(0.4545, 4);
    expect(result.components.find((c) => c.name === 'DEPTH')?.effectiveWeight).toBe(0);
    // confidence (1 − e^−0.2) × 0.55 = 0.0997
    expect(result.confidence).toBe(0.1);
    expect(result.explanation).toContain('augmentation 0.25');
  });

  it('returns no score without events', () => {
    const result = scoreImpact([]);
    expect(result.score).toBeNull();
    expect(result.confidence).toBe(0);
  });

  it('computes each component by hand', () => {
    expect(depthOf(20)).toBe(1);
    expect(depthOf(0)).toBe(0);
    expect(depthOf(3)).toBeCloseTo(2 / Math.log2(21), 10);
    expect(coverageValue([ev({ coveredMinutes: 30, totalMinutes: 60 }), ev({ coveredMinutes: 0, totalMinutes: 40 })])).toBe(30);
    // 1 unsourced + 1 sourced = 3 units → 100(1 − e^−0.6) = 45.12
    expect(adoptionValue([ev({ sourceId: null }), ev({ sourceId: 'p2' })])).toBeCloseTo(45.1188, 3);
    expect(liftOf(10, 5, false)).toBe(0.5);
    expect(liftOf(10, 40, true)).toBe(1);
    expect(liftOf(0, -3, true)).toBe(-1);
    expect(outcomesValue([ev({ baseline: 10, value: 5, higherIsBetter: true })])).toBe(25);
  });

  it('uses a virality override for the adoption component', () => {
    const result = scoreImpact([ev({ kind: 'SOLUTION_ADOPTION' })], 80);
    expect(result.score).toBe(80);
  });

  it('computes the trend and the previous window', () => {
    expect(trendOf(60, 45.5)).toBe(14.5);
    expect(trendOf(null, 45)).toBeNull();
    const prev = previousWindow({ from: new Date('2026-11-10T00:00:00Z'), to: new Date('2026-11-20T00:00:00Z') });
    expect(prev.from.toISOString()).toBe('2026-10-31T00:00:00.000Z');
    expect(prev.to.toISOString()).toBe('2026-11-10T00:00:00.000Z');
  });
});

describe('solution virality', () => {
  const edges = [
    { adopterId: 'A', sourceId: null, teamId: 'T1', at: '2026-01-01' },
    { adopterId: 'B', sourceId: 'A', teamId: 'T1', at: '2026-01-02' },
    { adopterId: 'C', sourceId: 'A', teamId: 'T2', at: '2026-01-03' },
    { adopterId: 'D', sourceId: 'C', teamId: 'T3', at: '2026-01-04' },
  ];

  it('assigns generations along adoption chains', () => {
    expect(Object.fromEntries(generationsOf(edges))).toEqual({ A: 0, B: 1, C: 1, D: 2 });
  });

  it('scores spread across teams and generations', () => {
    const v = viralityOf(edges);
    expect(v.adopters).toBe(4);
    expect(v.teamsReached).toBe(3);
    expect(v.generations).toBe(2);
    expect(v.reproductionNumber).toBe(0.75);
    expect(v.crossTeamShare).toBe(0.667);
    expect(v.teamsPerGeneration).toBe(1);
    // 100 × (0.4 × 0.75/1.75 + 0.3 × 2/3 + 0.3 × (1 − e^(−2/3))) = 51.74
    expect(v.score).toBe(51.74);
  });

  it('does not reward raw counts: ten unconnected adopters in one team score low', () => {
    const flat = Array.from({ length: 10 }, (_, i) => ({ adopterId: `P${i}`, sourceId: null, teamId: 'T1', at: `2026-01-0${i}` }));
    expect(viralityOf(flat).score).toBe(0);
    expect(viralityOf([]).score).toBe(0);
  });

  it('cuts adoption cycles', () => {
    const cyc = [
      { adopterId: 'A', sourceId: 'B', teamId: null, at: '2026-01-01' },
      { adopterId: 'B', sourceId: 'A', teamId: null, at: '2026-01-02' },
    ];
    const gens = generationsOf(cyc);
    expect(Math.max(...gens.values())).toBe(1);
  });
});

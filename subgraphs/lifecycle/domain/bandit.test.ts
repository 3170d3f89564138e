import { DomainError } from '../../../platform/errors.ts';
import { checkExperiment, chooseVariant, posteriorOf, probabilityBest, sampleBeta, seedOf, seededRandom } from './bandit.ts';

const fieldOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error.options.field;
    throw error;
  }
  return undefined;
};

describe('Thompson sampling', () => {
  it('has a reproducible seeded random source in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(seededRandom(43)()).not.toBe(xs[0]);
    expect(seedOf('abc')).toBe(seedOf('abc'));
    expect(seedOf('abc')).not.toBe(seedOf('abd'));
  });

  it('computes Beta posteriors from a uniform prior', () => {
    expect(posteriorOf({ impressions: 10, conversions: 3 })).toEqual({ alpha: 4, beta: 8, mean: 4 / 12 });
    expect(posteriorOf({ impressions: 0, conversions: 0 })).toEqual({ alpha: 1, beta: 1, mean: 0.5 });
  });

  it('samples Beta with the right mean', () => {
    // Beta(4, 8) has mean 1/3; 20,000 draws put the sample mean within 0.01 (sd of the mean ≈ 0.0009).
    const random = seededRandom(7);
    let sum = 0;
    for (let i = 0; i < 20_000; i += 1) sum += sampleBeta(4, 8, random);
    expect(Math.abs(sum / 20_000 - 1 / 3)).toBeLessThan(0.01);
    const small = seededRandom(8);
    for (let i = 0; i < 100; i += 1) {
      const x = sampleBeta(0.5, 0.5, small);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(1);
    }
  });

  it('favours the clearly better variant and keeps a floor for the others', () => {
    const arms = [{ impressions: 200, conversions: 10 }, { impressions: 200, conversions: 60 }, { impressions: 200, conversions: 20 }];
    const random = seededRandom(1);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i += 1) counts[chooseVariant(arms, 0.05, random).index] += 1;
    // Floor: each arm gets at least ≈ 5% (exploration share 15%, split three ways).
    expect(counts[0] / 3000).toBeGreaterThan(0.03);
    expect(counts[2] / 3000).toBeGreaterThan(0.03);
    expect(counts[1] / 3000).toBeGreaterThan(0.8);
  });

  it('estimates the probability of being best', () => {
    const p = probabilityBest([{ impressions: 100, conversions: 5 }, { impressions: 100, conversions: 30 }], 2000, seededRandom(3));
    expect(p[1]).toBeGreaterThan(0.99);
    expect(p[0] + p[1]).toBeCloseTo(1, 4);
    const even = probabilityBest([{ impressions: 0, conversions: 0 }, { impressions: 0, conversions: 0 }], 4000, seededRandom(4));
    expect(Math.abs(even[0] - 0.5)).toBeLessThan(0.05);
  });

  it('validates experiments', () => {
    const variants = [{ key: 'A', content: 'Hi' }, { key: 'B', content: 'Hello' }];
    expect(checkExperiment({ name: ' Day 7 ', variants, minShare: 0.1 })).toEqual({ name: 'Day 7', variants, minShare: 0.1 });
    expect(fieldOf(() => checkExperiment({ name: 'Day 7', variants: variants.slice(0, 1), minShare: 0 }))).toBe('input.variants');
    expect(fieldOf(() => checkExperiment({ name: 'Day 7', variants: [variants[0], variants[0]], minShare: 0 }))).toBe('input.variants.1.key');
    expect(fieldOf(() => checkExperiment({ name: 'Day 7', variants, minShare: 0.3 }))).toBe('input.minShare');
    expect(fieldOf(() => checkExperiment({ name: 'D', variants, minShare: 0 }))).toBe('input.name');
  });
});

import { inputError } from '../../../platform/errors.ts';

/** A uniform random source in [0, 1). Production passes Math.random-like sources; tests pass `seededRandom`. */
export type Random = () => number;

/** mulberry32: a small, fast, seedable PRNG (32-bit state), deterministic for tests and reproducible estimates. */
export const seededRandom = (seed: number): Random => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
};

/** A 32-bit seed from a string (FNV-1a). */
export const seedOf = (text: string): number => {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
};

/** Standard normal by Box–Muller. */
const normal = (random: Random): number => {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
};

/** Gamma(shape, 1) by Marsaglia–Tsang; shape < 1 through the boost Gamma(shape + 1) · U^(1/shape). */
export const sampleGamma = (shape: number, random: Random): number => {
  if (shape < 1) return sampleGamma(shape + 1, random) * Math.pow(1 - random(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
};

/** Beta(α, β) as X / (X + Y) with X ~ Gamma(α), Y ~ Gamma(β). */
export const sampleBeta = (alpha: number, beta: number, random: Random): number => {
  const x = sampleGamma(alpha, random);
  const y = sampleGamma(beta, random);
  return x / (x + y);
};

/** Posterior of one variant: Beta(1 + conversions, 1 + failures) from a uniform prior. */
export interface ArmStats {
  impressions: number;
  conversions: number;
}

export const posteriorOf = (arm: ArmStats): { alpha: number; beta: number; mean: number } => {
  const alpha = 1 + arm.conversions;
  const beta = 1 + (arm.impressions - arm.conversions);
  return { alpha, beta, mean: alpha / (alpha + beta) };
};

/**
 * Thompson sampling with a floor: with probability `minShare × arms` a variant is chosen uniformly
 * (so each gets at least `minShare` of traffic), otherwise the variant with the highest Beta draw.
 */
export const chooseVariant = (arms: readonly ArmStats[], minShare: number, random: Random): { index: number; explored: boolean } => {
  if (arms.length === 0) throw new RangeError('no variants');
  if (random() < minShare * arms.length) return { index: Math.min(arms.length - 1, Math.floor(random() * arms.length)), explored: true };
  let best = 0;
  let bestDraw = -1;
  arms.forEach((arm, i) => {
    const { alpha, beta } = posteriorOf(arm);
    const draw = sampleBeta(alpha, beta, random);
    if (draw > bestDraw) {
      bestDraw = draw;
      best = i;
    }
  });
  return { index: best, explored: false };
};

/** Monte Carlo estimate of each variant's probability of having the highest conversion rate. */
export const probabilityBest = (arms: readonly ArmStats[], draws: number, random: Random): number[] => {
  const wins = arms.map(() => 0);
  for (let n = 0; n < draws; n += 1) {
    let best = 0;
    let bestDraw = -1;
    arms.forEach((arm, i) => {
      const { alpha, beta } = posteriorOf(arm);
      const draw = sampleBeta(alpha, beta, random);
      if (draw > bestDraw) {
        bestDraw = draw;
        best = i;
      }
    });
    wins[best] += 1;
  }
  return wins.map((w) => Math.round((w / draws) * 10_000) / 10_000);
};

export const MIN_VARIANTS = 2;
export const MAX_VARIANTS = 100;

/** Checks an experiment definition: 2–100 variants with unique keys, and a floor that fits (minShare × variants ≤ 0.5). */
export const checkExperiment = (input: { name: string; variants: ReadonlyArray<{ key: string; content: string }>; minShare: number }): { name: string; variants: Array<{ key: string; content: string }>; minShare: number } => {
  const name = input.name.trim();
  if (name.length < 3 || name.length > 200) throw inputError('input.name', 'name must be 3–200 characters', 'Name the experiment, e.g. "Trial day 7 email".');
  if (input.variants.length < MIN_VARIANTS || input.variants.length > MAX_VARIANTS) throw inputError('input.variants', `give ${MIN_VARIANTS}–${MAX_VARIANTS} variants`, 'A bandit compares at least two variants.');
  const keys = new Set<string>();
  const variants = input.variants.map((v, i) => {
    const key = v.key.trim();
    if (!/^[A-Za-z0-9_-]{1,40}$/.test(key)) throw inputError(`input.variants.${i}.key`, 'key must be 1–40 letters, digits, - or _', 'Use short keys such as "A", "B" or "subject-2".');
    if (keys.has(key)) throw inputError(`input.variants.${i}.key`, `duplicate key ${key}`, 'Give each variant its own key.');
    keys.add(key);
    const content = v.content.trim();
    if (content.length < 1 || content.length > 5_000) throw inputError(`input.variants.${i}.content`, 'content must be 1–5,000 characters', 'Put the message text of the variant here.');
    return { key, content };
  });
  if (!Number.isFinite(input.minShare) || input.minShare < 0 || input.minShare * variants.length > 0.5) {
    throw inputError('input.minShare', 'minShare × number of variants must be between 0 and 0.5', `With ${variants.length} variants, give at most ${Math.floor((0.5 / variants.length) * 1000) / 1000}.`);
  }
  return { name, variants, minShare: input.minShare };
};

/** Ordinary least squares on (x, y) with the standard error of a prediction at x0. */
import { round } from './impact-scoring.ts';

/** Two-sided 95% Student t critical values by degrees of freedom (1–30); 1.96 beyond. */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];
export const tCritical95 = (df: number): number => (df < 1 ? Number.POSITIVE_INFINITY : df <= 30 ? T975[df - 1] : 1.96);

export interface Forecast {
  slope: number;
  intercept: number;
  /** The prediction before clamping (the centre of the predictive distribution). */
  center: number;
  prediction: number;
  standardError: number;
  lower: number;
  upper: number;
  pointsUsed: number;
}

/** Linear regression forecast at x0; null with fewer than 3 points or no spread in x. */
export const linearForecast = (points: ReadonlyArray<{ x: number; y: number }>, x0: number, clamp: [number, number] = [-Infinity, Infinity]): Forecast | null => {
  const n = points.length;
  if (n < 3) return null;
  const xbar = points.reduce((s, p) => s + p.x, 0) / n;
  const ybar = points.reduce((s, p) => s + p.y, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.x - xbar) ** 2, 0);
  if (sxx === 0) return null;
  const sxy = points.reduce((s, p) => s + (p.x - xbar) * (p.y - ybar), 0);
  const slope = sxy / sxx;
  const intercept = ybar - slope * xbar;
  const sse = points.reduce((s, p) => s + (p.y - (intercept + slope * p.x)) ** 2, 0);
  const s = Math.sqrt(sse / (n - 2));
  const se = s * Math.sqrt(1 + 1 / n + (x0 - xbar) ** 2 / sxx);
  const prediction = intercept + slope * x0;
  const t = tCritical95(n - 2);
  const bound = (v: number) => Math.min(clamp[1], Math.max(clamp[0], v));
  return {
    slope: round(slope, 4),
    intercept: round(intercept, 4),
    center: prediction,
    prediction: round(bound(prediction), 3),
    standardError: round(se, 4),
    lower: round(bound(prediction - t * se), 3),
    upper: round(bound(prediction + t * se), 3),
    pointsUsed: n,
  };
};

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; |error| < 1e-13 over the range used here). */
export const lnGamma = (x: number): number => {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
};

/** Continued fraction of the incomplete beta function (modified Lentz). */
const betaContinuedFraction = (a: number, b: number, x: number): number => {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + 1 + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-14) break;
  }
  return h;
};

/** Regularized incomplete beta I_x(a, b). */
export const regularizedBeta = (x: number, a: number, b: number): number => {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(a, b, x)) / a : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
};

/** Student t cumulative distribution P(T ≤ t) with df degrees of freedom. */
export const studentTCdf = (t: number, df: number): number => {
  if (!Number.isFinite(t)) return t > 0 ? 1 : 0;
  const tail = 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
};

/**
 * Probability that the next value falls below `threshold`, from the forecast's predictive distribution:
 * the unclamped prediction ± se with a Student t of n − 2 degrees of freedom. 0–1.
 */
export const probabilityBelow = (forecast: Pick<Forecast, 'center' | 'standardError' | 'pointsUsed'>, threshold: number): number => {
  if (forecast.standardError === 0) return forecast.center < threshold ? 1 : 0;
  return studentTCdf((threshold - forecast.center) / forecast.standardError, forecast.pointsUsed - 2);
};

/** Rounds in the baseline the next round will be compared with (the signals' rule). */
export const DRIFT_BASELINE_ROUNDS = 6;

/**
 * Drift risk of the next round: the score below which it would be an URGENT drop (mean of the last up to
 * 6 published scores − urgentDrop) and the forecast's probability of falling below it.
 */
export const urgentDriftOf = (forecast: Forecast, publishedScores: readonly number[], urgentDrop: number): { threshold: number; probability: number; rounds: number } | null => {
  const base = publishedScores.slice(-DRIFT_BASELINE_ROUNDS);
  if (base.length === 0) return null;
  const threshold = base.reduce((s, v) => s + v, 0) / base.length - urgentDrop;
  return { threshold: round(threshold, 3), probability: round(probabilityBelow(forecast, threshold), 3), rounds: base.length };
};

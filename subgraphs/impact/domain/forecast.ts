/** Ordinary least squares on (x, y) with the standard error of a prediction at x0. */
import { round } from './impact-scoring.ts';

/** Two-sided 95% Student t critical values by degrees of freedom (1–30); 1.96 beyond. */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];
export const tCritical95 = (df: number): number => (df < 1 ? Number.POSITIVE_INFINITY : df <= 30 ? T975[df - 1] : 1.96);

export interface Forecast {
  slope: number;
  intercept: number;
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
    prediction: round(bound(prediction), 3),
    standardError: round(se, 4),
    lower: round(bound(prediction - t * se), 3),
    upper: round(bound(prediction + t * se), 3),
    pointsUsed: n,
  };
};

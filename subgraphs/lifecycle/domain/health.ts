import { inputError } from '../../../platform/errors.ts';

/** Raw health signals of one client organization for one day. */
export interface HealthSignals {
  /** Active days in the last 7 (0–7). */
  usageFrequency: number;
  /** Share of failed conversations or requests (0–1). */
  errorRate: number;
  /** Customer satisfaction, 1–5. */
  csat: number;
  /** Support tickets currently open (0 or more). */
  openTickets: number;
  /** Share of invited users active in the period (0–1). */
  engagement: number;
}

export type HealthComponentName = keyof HealthSignals;
export type HealthWeights = Record<HealthComponentName, number>;
export type HealthBand = 'RED' | 'YELLOW' | 'GREEN';

export const COMPONENTS: readonly HealthComponentName[] = ['usageFrequency', 'errorRate', 'csat', 'openTickets', 'engagement'];

export const DEFAULT_WEIGHTS: HealthWeights = { usageFrequency: 0.25, errorRate: 0.2, csat: 0.2, openTickets: 0.15, engagement: 0.2 };

/** Error rate at or above which the error component is 0. */
export const ERROR_RATE_FLOOR = 0.1;
/** Open tickets at or above which the tickets component is 0 (10 points per ticket). */
export const TICKETS_FLOOR = 10;

const clamp = (value: number, low: number, high: number): number => Math.min(high, Math.max(low, value));
const round1 = (value: number): number => Math.round(value * 10) / 10;

/** Checks raw signals; names the offending input field. */
export const checkSignals = (signals: HealthSignals): HealthSignals => {
  const check = (field: HealthComponentName, ok: boolean, hint: string): void => {
    if (!Number.isFinite(signals[field]) || !ok) throw inputError(`input.${field}`, `${field} is out of range`, hint);
  };
  check('usageFrequency', signals.usageFrequency >= 0 && signals.usageFrequency <= 7, 'Give the number of active days in the last 7, from 0 to 7.');
  check('errorRate', signals.errorRate >= 0 && signals.errorRate <= 1, 'Give the error rate as a share from 0 to 1 (0.05 = 5%).');
  check('csat', signals.csat >= 1 && signals.csat <= 5, 'Give CSAT on the 1–5 scale.');
  check('openTickets', Number.isInteger(signals.openTickets) && signals.openTickets >= 0, 'Give the number of open tickets as a whole number, 0 or more.');
  check('engagement', signals.engagement >= 0 && signals.engagement <= 1, 'Give engagement as a share of active users from 0 to 1.');
  return signals;
};

/** Checks weights: each 0–1 and not all zero. */
export const checkWeights = (weights: HealthWeights): HealthWeights => {
  for (const name of COMPONENTS) {
    const w = weights[name];
    if (!Number.isFinite(w) || w < 0 || w > 1) throw inputError(`input.${name}`, `weight of ${name} must be between 0 and 1`, 'Give each weight from 0 to 1; they are normalized by their sum.');
  }
  if (COMPONENTS.every((name) => weights[name] === 0)) throw inputError('input', 'at least one weight must be above 0', 'Give a positive weight to at least one component.');
  return weights;
};

/**
 * Each signal on a 0–100 scale where higher is healthier:
 * usage = days/7; errors fall linearly to 0 at 10%; CSAT (1–5) maps to 0–100; 10 points off per open
 * ticket; engagement = share × 100. Rounded to one decimal.
 */
export const normalizeSignals = (s: HealthSignals): Record<HealthComponentName, number> => ({
  usageFrequency: round1(clamp(s.usageFrequency / 7, 0, 1) * 100),
  errorRate: round1((1 - clamp(s.errorRate / ERROR_RATE_FLOOR, 0, 1)) * 100),
  csat: round1(clamp((s.csat - 1) / 4, 0, 1) * 100),
  openTickets: round1(clamp(1 - s.openTickets / TICKETS_FLOOR, 0, 1) * 100),
  engagement: round1(clamp(s.engagement, 0, 1) * 100),
});

/** Band: RED below 60, GREEN above 80, YELLOW from 60 to 80 inclusive. */
export const bandOf = (score: number): HealthBand => (score < 60 ? 'RED' : score > 80 ? 'GREEN' : 'YELLOW');

/** The weighted mean of the normalized components (weights normalized by their sum), rounded to an integer 0–100. */
export const healthScore = (signals: HealthSignals, weights: HealthWeights): { score: number; band: HealthBand; components: Record<HealthComponentName, number> } => {
  const components = normalizeSignals(signals);
  const total = COMPONENTS.reduce((sum, name) => sum + weights[name], 0);
  const mean = COMPONENTS.reduce((sum, name) => sum + weights[name] * components[name], 0) / total;
  const score = Math.round(clamp(mean, 0, 100));
  return { score, band: bandOf(score), components };
};

/** The one-line explanation kept in provenance: weights and components. */
export const explainScore = (score: number, components: Record<HealthComponentName, number>, weights: HealthWeights): string => {
  const total = COMPONENTS.reduce((sum, name) => sum + weights[name], 0);
  const parts = COMPONENTS.map((name) => `${name} ${components[name]} × ${Math.round((weights[name] / total) * 1000) / 1000}`);
  return `Health ${score} = weighted mean of normalized components (${parts.join(', ')}); RED <60, YELLOW 60–80, GREEN >80`;
};

/** `YYYY-MM-DD` (UTC) of an instant. */
export const dayOf = (at: Date): string => at.toISOString().slice(0, 10);

/** Whole days from `from` to `to` (both `YYYY-MM-DD`). */
export const daysBetween = (from: string, to: string): number => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);

export interface DailyScore {
  day: string;
  score: number;
}

export interface PriorAlert {
  kind: 'SCORE_DROP' | 'SUSTAINED_RED';
  day: string;
}

export interface AlertDecision {
  kind: 'SCORE_DROP' | 'SUSTAINED_RED';
  /** For SCORE_DROP: the highest score of the previous 7 days minus today's. */
  dropPoints: number | null;
  /** For SUSTAINED_RED: days since the red streak began. */
  redDays: number | null;
  message: string;
}

export const DROP_POINTS = 10;
export const DROP_WINDOW_DAYS = 7;
export const RED_DAYS = 14;

/**
 * Alert rules for today's score against earlier daily scores (any order, today's excluded):
 * - SCORE_DROP when the highest score of the 7 days before today exceeds today's by more than 10,
 *   unless a SCORE_DROP alert was already raised in those 7 days or today;
 * - SUSTAINED_RED when today is RED and every recorded day back to a day at least 14 days ago is RED
 *   (the streak starts at the earliest red day with no non-red day after it), raised once per streak.
 * Alerts raised on `today` itself (an earlier reading of the same day) also suppress.
 */
export const evaluateAlerts = (today: DailyScore, earlier: readonly DailyScore[], priorAlerts: readonly PriorAlert[]): AlertDecision[] => {
  const decisions: AlertDecision[] = [];
  const before = earlier.filter((s) => s.day < today.day).sort((a, b) => (a.day < b.day ? -1 : 1));
  const window = before.filter((s) => daysBetween(s.day, today.day) <= DROP_WINDOW_DAYS);
  if (window.length > 0) {
    const peak = Math.max(...window.map((s) => s.score));
    const drop = peak - today.score;
    const recentDrop = priorAlerts.some((a) => a.kind === 'SCORE_DROP' && a.day <= today.day && daysBetween(a.day, today.day) <= DROP_WINDOW_DAYS);
    if (drop > DROP_POINTS && !recentDrop) {
      decisions.push({ kind: 'SCORE_DROP', dropPoints: drop, redDays: null, message: `Health score dropped ${drop} points in ${DROP_WINDOW_DAYS} days (from ${peak} to ${today.score})` });
    }
  }
  if (bandOf(today.score) === 'RED') {
    let streakStart = today.day;
    for (let i = before.length - 1; i >= 0 && bandOf(before[i].score) === 'RED'; i -= 1) streakStart = before[i].day;
    const redDays = daysBetween(streakStart, today.day);
    const alreadyRaised = priorAlerts.some((a) => a.kind === 'SUSTAINED_RED' && a.day >= streakStart && a.day <= today.day);
    if (redDays >= RED_DAYS && !alreadyRaised) {
      decisions.push({ kind: 'SUSTAINED_RED', dropPoints: null, redDays, message: `Health score has been red for ${redDays} days (today ${today.score})` });
    }
  }
  return decisions;
};

/** The Copilot playbook for a health alert: red → more touchpoints and a call; otherwise a check-in. */
export const playbookFor = (decision: AlertDecision, band: HealthBand): { title: string; actions: string[]; priority: 'HIGH' | 'MEDIUM'; dueInHours: number } => {
  if (band === 'RED') {
    return {
      title: decision.kind === 'SUSTAINED_RED' ? 'Client red for two weeks: schedule a recovery call' : 'Client health fell into red: schedule a call',
      actions: ['Schedule a call with the client sponsor within 48 hours', 'Increase touchpoints to weekly until the score is above 60', 'Review open tickets and error spikes before the call'],
      priority: 'HIGH',
      dueInHours: 48,
    };
  }
  return {
    title: 'Client health dropped: check in',
    actions: ['Send a check-in email about recent changes', 'Review usage and open tickets for the cause of the drop'],
    priority: 'MEDIUM',
    dueInHours: 72,
  };
};

/**
 * Impact scoring: pure functions over plain event records. A score is a weighted mean of the
 * components that have evidence in the window; absent components drop out and the remaining
 * weights are renormalized (the explanation says so).
 */

export type ImpactEventKind = 'WORKFLOW_AUGMENTATION' | 'SOLUTION_ADOPTION' | 'INTERACTION_DEPTH' | 'CALENDAR_COVERAGE' | 'BUSINESS_OUTCOME';
export type ImpactComponentName = 'AUGMENTATION' | 'ADOPTION' | 'DEPTH' | 'COVERAGE' | 'OUTCOMES';

/** The fields scoring needs; every kind-specific field is null when not of that kind. */
export interface ScorableEvent {
  kind: ImpactEventKind;
  personId: string;
  solutionId: string | null;
  sourceId: string | null;
  minutesSaved: number | null;
  turns: number | null;
  coveredMinutes: number | null;
  totalMinutes: number | null;
  baseline: number | null;
  value: number | null;
  higherIsBetter: boolean | null;
}

export const COMPONENT_WEIGHTS: Readonly<Record<ImpactComponentName, number>> = {
  AUGMENTATION: 0.25,
  ADOPTION: 0.2,
  DEPTH: 0.15,
  COVERAGE: 0.1,
  OUTCOMES: 0.3,
};

const KIND_OF: Readonly<Record<ImpactComponentName, ImpactEventKind>> = {
  AUGMENTATION: 'WORKFLOW_AUGMENTATION',
  ADOPTION: 'SOLUTION_ADOPTION',
  DEPTH: 'INTERACTION_DEPTH',
  COVERAGE: 'CALENDAR_COVERAGE',
  OUTCOMES: 'BUSINESS_OUTCOME',
};

export const round = (value: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

/** Minutes saved saturate: one working day (480 min) of savings ≈ 63. */
export const augmentationValue = (events: readonly ScorableEvent[]): number => {
  const minutes = events.reduce((sum, e) => sum + (e.minutesSaved ?? 0), 0);
  return 100 * (1 - Math.exp(-minutes / 480));
};

/** Adoptions plus peer spreads (adoptions with a named source count twice), saturating at scale 5. */
export const adoptionValue = (events: readonly ScorableEvent[]): number => {
  const units = events.reduce((sum, e) => sum + (e.sourceId ? 2 : 1), 0);
  return 100 * (1 - Math.exp(-units / 5));
};

/** Depth per interaction: log2(1 + turns) / log2(21), capped at 1 (20 turns = full depth); mean × 100. */
export const depthOf = (turns: number): number => Math.min(1, Math.log2(1 + Math.max(0, turns)) / Math.log2(21));
export const depthValue = (events: readonly ScorableEvent[]): number =>
  events.length === 0 ? 0 : (100 * events.reduce((sum, e) => sum + depthOf(e.turns ?? 0), 0)) / events.length;

/** Share of calendar time covered by augmented workflows, pooled over events. */
export const coverageValue = (events: readonly ScorableEvent[]): number => {
  const total = events.reduce((sum, e) => sum + (e.totalMinutes ?? 0), 0);
  const covered = events.reduce((sum, e) => sum + (e.coveredMinutes ?? 0), 0);
  return total > 0 ? (100 * covered) / total : 0;
};

/** Relative lift of one outcome, signed so that better is positive, clamped to [-1, 1]. */
export const liftOf = (baseline: number, value: number, higherIsBetter: boolean): number => {
  const raw = baseline === 0 ? Math.sign(value) : (value - baseline) / Math.abs(baseline);
  const signed = higherIsBetter ? raw : -raw;
  return Math.max(-1, Math.min(1, signed));
};

/** 50 = no change; 100 = every outcome doubled (or better); 0 = every outcome lost entirely. */
export const outcomesValue = (events: readonly ScorableEvent[]): number =>
  events.length === 0 ? 50 : 50 + (50 * events.reduce((sum, e) => sum + liftOf(e.baseline ?? 0, e.value ?? 0, e.higherIsBetter ?? true), 0)) / events.length;

export interface ImpactComponent {
  name: ImpactComponentName;
  /** The nominal weight of the component. */
  weight: number;
  /** The weight after renormalizing over present components (0 when absent). */
  effectiveWeight: number;
  value: number;
  contribution: number;
  eventCount: number;
}

export interface ImpactScoreResult {
  score: number | null;
  confidence: number;
  eventCount: number;
  components: ImpactComponent[];
  explanation: string;
}

/**
 * The impact score of a set of events. `adoptionOverride` replaces the adoption component's value
 * (for SOLUTION subjects it is the solution's virality score).
 */
export const scoreImpact = (events: readonly ScorableEvent[], adoptionOverride: number | null = null): ImpactScoreResult => {
  const names = Object.keys(COMPONENT_WEIGHTS) as ImpactComponentName[];
  const byKind = (name: ImpactComponentName) => events.filter((e) => e.kind === KIND_OF[name]);
  const raw = names.map((name) => {
    const list = byKind(name);
    const value =
      name === 'AUGMENTATION' ? augmentationValue(list)
      : name === 'ADOPTION' ? (adoptionOverride ?? adoptionValue(list))
      : name === 'DEPTH' ? depthValue(list)
      : name === 'COVERAGE' ? coverageValue(list)
      : outcomesValue(list);
    return { name, weight: COMPONENT_WEIGHTS[name], value, eventCount: list.length };
  });
  const presentWeight = raw.filter((c) => c.eventCount > 0).reduce((sum, c) => sum + c.weight, 0);
  const components: ImpactComponent[] = raw.map((c) => {
    const effectiveWeight = c.eventCount > 0 && presentWeight > 0 ? c.weight / presentWeight : 0;
    return { ...c, value: round(c.value), effectiveWeight: round(effectiveWeight, 4), contribution: round(effectiveWeight * c.value) };
  });
  const score = presentWeight > 0 ? round(raw.filter((c) => c.eventCount > 0).reduce((sum, c) => sum + (c.weight / presentWeight) * c.value, 0)) : null;
  const confidence = round((1 - Math.exp(-events.length / 10)) * presentWeight, 3);
  const weights = names.map((n) => `${n.toLowerCase()} ${COMPONENT_WEIGHTS[n]}`).join(', ');
  const explanation =
    score === null
      ? 'No impact events in the window: no score.'
      : `Weighted mean of components (${weights}), renormalized over the ${components.filter((c) => c.eventCount > 0).length} components with events; confidence = (1 − e^(−n/10)) × present weight, n = ${events.length}.`;
  return { score, confidence, eventCount: events.length, components, explanation };
};

/** Change versus the previous window; null when either score is missing. */
export const trendOf = (current: number | null, previous: number | null): number | null => (current === null || previous === null ? null : round(current - previous));

export interface ImpactWindow {
  from: Date;
  to: Date;
}

/** The window of the same length immediately before `window`. */
export const previousWindow = (window: ImpactWindow): ImpactWindow => {
  const span = window.to.getTime() - window.from.getTime();
  return { from: new Date(window.from.getTime() - span), to: new Date(window.from.getTime()) };
};

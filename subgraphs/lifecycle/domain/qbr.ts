import { inputError } from '../../../platform/errors.ts';
import type { HealthBand } from './health.ts';

/** Pure QBR deck maths: periods, KPIs against objectives, ROI, benchmark, recommendations. */

export type QbrKpi = 'AVERAGE_HEALTH' | 'LATEST_HEALTH' | 'AUTO_RESOLUTION_RATE' | 'ESCALATION_RATE' | 'CONVERSION_RATE' | 'INCIDENTS';
export const QBR_KPIS: readonly QbrKpi[] = ['AVERAGE_HEALTH', 'LATEST_HEALTH', 'AUTO_RESOLUTION_RATE', 'ESCALATION_RATE', 'CONVERSION_RATE', 'INCIDENTS'];
export type ObjectiveDirection = 'AT_LEAST' | 'AT_MOST';

export interface QbrObjective {
  kpi: QbrKpi;
  target: number;
  direction: ObjectiveDirection;
}

export interface QbrPeriod {
  label: string;
  /** Inclusive start (UTC midnight). */
  from: string;
  /** Exclusive end (UTC midnight). */
  to: string;
}

/** Parses `YYYY-Qn` into the quarter's UTC bounds. */
export const parsePeriod = (period: string): QbrPeriod => {
  const match = /^(\d{4})-Q([1-4])$/.exec(period.trim());
  if (!match) throw inputError('period', `period ${JSON.stringify(period)} is not a quarter`, 'Give a quarter as YYYY-Qn, e.g. 2026-Q4.');
  const year = Number(match[1]);
  const quarter = Number(match[2]);
  const from = new Date(Date.UTC(year, (quarter - 1) * 3, 1));
  const to = new Date(Date.UTC(year, quarter * 3, 1));
  return { label: `${year}-Q${quarter}`, from: from.toISOString(), to: to.toISOString() };
};

/** Checks objectives: known KPIs, once each, finite non-negative targets; rates 0–1, health 0–100. */
export const checkObjectives = (objectives: readonly QbrObjective[]): QbrObjective[] => {
  const seen = new Set<QbrKpi>();
  return objectives.map((o, i) => {
    if (!QBR_KPIS.includes(o.kpi)) throw inputError(`input.objectives.${i}.kpi`, `unknown KPI ${o.kpi}`, `Use one of ${QBR_KPIS.join(', ')}.`);
    if (seen.has(o.kpi)) throw inputError(`input.objectives.${i}.kpi`, `KPI ${o.kpi} appears twice`, 'Give each KPI one objective.');
    seen.add(o.kpi);
    const max = o.kpi.endsWith('_RATE') ? 1 : o.kpi === 'INCIDENTS' ? 1_000_000 : 100;
    if (!Number.isFinite(o.target) || o.target < 0 || o.target > max) throw inputError(`input.objectives.${i}.target`, `target of ${o.kpi} must be between 0 and ${max}`, o.kpi.endsWith('_RATE') ? 'Give rates as shares from 0 to 1.' : 'Give health as 0–100 and incidents as a count.');
    return { kpi: o.kpi, target: o.target, direction: o.direction };
  });
};

export interface KpiResult {
  kpi: QbrKpi;
  value: number | null;
  target: number | null;
  direction: ObjectiveDirection | null;
  /** Null when there is no objective or no value. */
  met: boolean | null;
  /** value − target, null when either is missing. */
  gap: number | null;
}

const round = (value: number, digits = 4): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** Each KPI's value against its objective (if any). */
export const kpisAgainstObjectives = (values: Readonly<Record<QbrKpi, number | null>>, objectives: readonly QbrObjective[]): KpiResult[] =>
  QBR_KPIS.map((kpi) => {
    const value = values[kpi];
    const objective = objectives.find((o) => o.kpi === kpi) ?? null;
    if (!objective || value === null) return { kpi, value, target: objective?.target ?? null, direction: objective?.direction ?? null, met: null, gap: null };
    const met = objective.direction === 'AT_LEAST' ? value >= objective.target : value <= objective.target;
    return { kpi, value, target: objective.target, direction: objective.direction, met, gap: round(value - objective.target) };
  });

export interface RoiInputs {
  /** Tickets resolved autonomously in the period. */
  autoResolvedTickets: number;
  /** Agent minutes one autonomously resolved ticket saves. */
  minutesSavedPerTicket: number;
  /** Fully loaded cost of one agent hour. */
  hourlyCost: number;
  /** What the platform cost the client in the period. */
  platformCost: number;
}

export const ROI_FORMULA = 'savings = autoResolvedTickets × minutesSavedPerTicket / 60 × hourlyCost; roi = (savings − platformCost) / platformCost';

/** ROI of the period by ROI_FORMULA; savings rounded to cents, roi to 4 decimals. */
export const roiOf = (inputs: RoiInputs): { savings: number; roi: number } => {
  const savings = (inputs.autoResolvedTickets * inputs.minutesSavedPerTicket * inputs.hourlyCost) / 60;
  return { savings: Math.round(savings * 100) / 100, roi: round((savings - inputs.platformCost) / inputs.platformCost) };
};

/** Checks ROI settings (everything but the ticket count, which the deck measures). */
export const checkRoiSettings = (s: { minutesSavedPerTicket: number; hourlyCost: number; platformCostPerQuarter: number }) => {
  if (!Number.isFinite(s.minutesSavedPerTicket) || s.minutesSavedPerTicket <= 0 || s.minutesSavedPerTicket > 10_000) throw inputError('input.roi.minutesSavedPerTicket', 'minutesSavedPerTicket must be above 0', 'Give the agent minutes one ticket takes by hand, e.g. 20.');
  if (!Number.isFinite(s.hourlyCost) || s.hourlyCost <= 0 || s.hourlyCost > 100_000) throw inputError('input.roi.hourlyCost', 'hourlyCost must be above 0', 'Give the cost of one agent hour, e.g. 45.');
  if (!Number.isFinite(s.platformCostPerQuarter) || s.platformCostPerQuarter <= 0 || s.platformCostPerQuarter > 1e9) throw inputError('input.roi.platformCostPerQuarter', 'platformCostPerQuarter must be above 0', 'Give what the platform costs per quarter.');
  return s;
};

export type SizeBand = 'SMALL' | 'MID' | 'LARGE' | 'ENTERPRISE';
export const SIZE_BANDS: readonly SizeBand[] = ['SMALL', 'MID', 'LARGE', 'ENTERPRISE'];

export interface BenchmarkProfile {
  industry: string;
  sizeBand: SizeBand;
  plan: string;
}

/** Normalizes a profile and gives its segment key `industry|sizeBand|plan` (lower-case industry and plan). */
export const segmentKeyOf = (profile: BenchmarkProfile): string => {
  const industry = profile.industry.trim().toLowerCase().replace(/\s+/g, ' ');
  const plan = profile.plan.trim().toLowerCase();
  if (industry.includes('|') || plan.includes('|')) throw inputError('input.benchmarkProfile', 'industry and plan may not contain "|"', 'Name the industry and plan in plain words.');
  if (industry.length < 2 || industry.length > 80) throw inputError('input.benchmarkProfile.industry', 'industry must be 2–80 characters', 'Name the industry, e.g. "retail banking".');
  if (plan.length < 1 || plan.length > 40) throw inputError('input.benchmarkProfile.plan', 'plan must be 1–40 characters', 'Name the plan, e.g. "growth".');
  if (!SIZE_BANDS.includes(profile.sizeBand)) throw inputError('input.benchmarkProfile.sizeBand', `unknown size band ${profile.sizeBand}`, `Use one of ${SIZE_BANDS.join(', ')}.`);
  return `${industry}|${profile.sizeBand}|${plan}`;
};

/** A segment's running aggregate: only counts and sums, one latest score per contributing client. */
export interface SegmentAggregate {
  clients: number;
  sum: number;
  sumSquares: number;
}

/** Moves a client's contribution: removes `previous` (if any) from its old aggregate, adds `score` to the new one. */
export const applyContribution = (aggregate: SegmentAggregate, previous: number | null, score: number | null): SegmentAggregate => {
  let { clients, sum, sumSquares } = aggregate;
  if (previous !== null) {
    clients -= 1;
    sum -= previous;
    sumSquares -= previous * previous;
  }
  if (score !== null) {
    clients += 1;
    sum += score;
    sumSquares += score * score;
  }
  return { clients, sum: round(sum, 6), sumSquares: round(sumSquares, 6) };
};

export const BENCHMARK_MIN_GROUP = 5;

export type BenchmarkResult =
  | { available: true; clients: number; mean: number; stddev: number; delta: number | null; reason: null }
  | { available: false; clients: number; mean: null; stddev: null; delta: null; reason: string };

/** The segment benchmark, only from groups of ≥ minGroup (never below 5) distinct clients. */
export const benchmarkOf = (aggregate: SegmentAggregate | null, ownScore: number | null, minGroup = BENCHMARK_MIN_GROUP): BenchmarkResult => {
  const threshold = Math.max(BENCHMARK_MIN_GROUP, minGroup);
  const clients = aggregate?.clients ?? 0;
  if (!aggregate || clients < threshold) {
    return { available: false, clients, mean: null, stddev: null, delta: null, reason: `Only ${clients} similar client${clients === 1 ? '' : 's'} in the segment; a benchmark needs at least ${threshold}, so none is shown` };
  }
  const mean = aggregate.sum / clients;
  const variance = Math.max(0, aggregate.sumSquares / clients - mean * mean);
  return { available: true, clients, mean: round(mean, 2), stddev: round(Math.sqrt(variance), 2), delta: ownScore === null ? null : round(ownScore - mean, 2), reason: null };
};

export interface ExperimentSummaryInput {
  name: string;
  variants: ReadonlyArray<{ key: string; outcomes: number; conversions: number }>;
  probabilityBest: readonly number[];
}

export interface ExperimentSummary {
  name: string;
  outcomes: number;
  conversions: number;
  leader: string | null;
  leaderConversionRate: number | null;
  leaderProbabilityBest: number | null;
  /** A leader is called when its probability of being best is ≥ 0.95. */
  decided: boolean;
}

/** Each experiment's leader (highest probability of being best) and totals. */
export const summarizeExperiment = (e: ExperimentSummaryInput): ExperimentSummary => {
  const outcomes = e.variants.reduce((s, v) => s + v.outcomes, 0);
  const conversions = e.variants.reduce((s, v) => s + v.conversions, 0);
  if (outcomes === 0) return { name: e.name, outcomes, conversions, leader: null, leaderConversionRate: null, leaderProbabilityBest: null, decided: false };
  let best = 0;
  for (let i = 1; i < e.variants.length; i += 1) if (e.probabilityBest[i] > e.probabilityBest[best]) best = i;
  const v = e.variants[best];
  return {
    name: e.name,
    outcomes,
    conversions,
    leader: v.key,
    leaderConversionRate: v.outcomes ? round(v.conversions / v.outcomes) : null,
    leaderProbabilityBest: e.probabilityBest[best],
    decided: e.probabilityBest[best] >= 0.95,
  };
};

const KPI_ADVICE: Readonly<Record<QbrKpi, string>> = {
  AVERAGE_HEALTH: 'Raise average health: schedule a success call and review the weakest health component',
  LATEST_HEALTH: 'Current health is below objective: add touchpoints this month and agree a recovery plan',
  AUTO_RESOLUTION_RATE: 'Grow the knowledge base from escalated tickets so more resolve autonomously',
  ESCALATION_RATE: 'Review the top escalation reasons and document their resolutions for reuse',
  CONVERSION_RATE: 'Retire losing message variants and test new ones against the leader',
  INCIDENTS: 'Review incident root causes with the implementation team before the next deployment',
};

/** Rule-based recommendations: one per missed objective, then band, experiment and benchmark advice. */
export const recommendationsFor = (input: { kpis: readonly KpiResult[]; band: HealthBand | null; experiments: readonly ExperimentSummary[]; benchmarkDelta: number | null }): string[] => {
  const out: string[] = [];
  for (const k of input.kpis) if (k.met === false) out.push(`${KPI_ADVICE[k.kpi]} (${k.kpi} ${k.value} vs objective ${k.direction === 'AT_LEAST' ? '≥' : '≤'} ${k.target})`);
  if (input.band === 'RED') out.push('Health is red: run the at-risk playbook (weekly touchpoints, executive sponsor call)');
  else if (input.band === 'GREEN') out.push('Health is green: discuss expansion and a renewal timeline');
  for (const e of input.experiments) if (e.decided && e.leader) out.push(`Roll out variant ${e.leader} of "${e.name}" to all recipients (probability best ${e.leaderProbabilityBest})`);
  if (input.benchmarkDelta !== null && input.benchmarkDelta < 0) out.push(`Health is ${Math.abs(input.benchmarkDelta)} points below similar clients: compare adoption with the segment's practices`);
  if (out.length === 0) out.push('All objectives met: keep the current cadence and set stretch objectives for next quarter');
  return out;
};

import { inputError } from '../../../platform/errors.ts';
import type { ImpactEventKind, ImpactWindow } from './impact-scoring.ts';

const ID = /^[A-Za-z0-9][A-Za-z0-9_:.-]{0,127}$/;
const MAX_WINDOW_DAYS = 366;

export const checkId = (value: string | null | undefined, field: string, label: string): string => {
  const id = (value ?? '').trim();
  if (!ID.test(id)) throw inputError(field, `${label} must be a non-empty id`, `Pass the ${label} id (letters, digits, _ : . -; at most 128 characters).`);
  return id;
};

const checkNumber = (value: number | null | undefined, field: string, min: number, max: number, hint: string): number => {
  if (value === null || value === undefined || !Number.isFinite(value) || value < min || value > max) throw inputError(field, `${field} must be a number between ${min} and ${max}`, hint);
  return value;
};

export interface ImpactEventInput {
  kind: ImpactEventKind;
  personId: string;
  teamId?: string | null;
  occurredAt?: string | null;
  augmentation?: { workflowId: string; minutesSaved: number } | null;
  adoption?: { solutionId: string; adopterId: string; sourceId?: string | null } | null;
  interaction?: { turns: number; durationMinutes?: number | null } | null;
  calendar?: { coveredMinutes: number; totalMinutes: number } | null;
  outcome?: { metric: string; baseline: number; value: number; higherIsBetter?: boolean | null } | null;
}

/** An event ready to store: kind-specific fields flattened, absent ones null. */
export interface NormalizedImpactEvent {
  kind: ImpactEventKind;
  personId: string;
  teamId: string | null;
  solutionId: string | null;
  occurredAt: string;
  workflowId: string | null;
  minutesSaved: number | null;
  sourceId: string | null;
  turns: number | null;
  durationMinutes: number | null;
  coveredMinutes: number | null;
  totalMinutes: number | null;
  metric: string | null;
  baseline: number | null;
  value: number | null;
  higherIsBetter: boolean | null;
}

const DETAIL_FIELD: Readonly<Record<ImpactEventKind, 'augmentation' | 'adoption' | 'interaction' | 'calendar' | 'outcome'>> = {
  WORKFLOW_AUGMENTATION: 'augmentation',
  SOLUTION_ADOPTION: 'adoption',
  INTERACTION_DEPTH: 'interaction',
  CALENDAR_COVERAGE: 'calendar',
  BUSINESS_OUTCOME: 'outcome',
};

/** Validates an impact event: exactly the detail object matching `kind`, every field in range. */
export const normalizeImpactEvent = (input: ImpactEventInput, now: Date): NormalizedImpactEvent => {
  const expected = DETAIL_FIELD[input.kind];
  if (!expected) throw inputError('input.kind', `Unknown kind ${String(input.kind)}`, 'Use one of WORKFLOW_AUGMENTATION, SOLUTION_ADOPTION, INTERACTION_DEPTH, CALENDAR_COVERAGE, BUSINESS_OUTCOME.');
  for (const field of Object.values(DETAIL_FIELD)) {
    const present = input[field] !== null && input[field] !== undefined;
    if (field === expected && !present) throw inputError(`input.${field}`, `A ${input.kind} event needs input.${field}`, `Pass input.${field} with the ${input.kind} details.`);
    if (field !== expected && present) throw inputError(`input.${field}`, `input.${field} does not belong to a ${input.kind} event`, `Only pass input.${expected} for kind ${input.kind}.`);
  }
  let occurredAt = now.toISOString();
  if (input.occurredAt) {
    const at = new Date(input.occurredAt);
    if (Number.isNaN(at.getTime())) throw inputError('input.occurredAt', 'occurredAt is not a valid time', 'Use ISO-8601 UTC, e.g. 2026-11-23T10:00:00Z.');
    if (at.getTime() > now.getTime() + 5 * 60_000) throw inputError('input.occurredAt', 'occurredAt is in the future', 'Record events after they happen; omit occurredAt to use the current time.');
    if (now.getTime() - at.getTime() > MAX_WINDOW_DAYS * 86_400_000) throw inputError('input.occurredAt', 'occurredAt is more than a year ago', 'Backfill at most 366 days of history.');
    occurredAt = at.toISOString();
  }
  const base: NormalizedImpactEvent = {
    kind: input.kind,
    personId: checkId(input.personId, 'input.personId', 'person'),
    teamId: input.teamId ? checkId(input.teamId, 'input.teamId', 'team') : null,
    solutionId: null,
    occurredAt,
    workflowId: null,
    minutesSaved: null,
    sourceId: null,
    turns: null,
    durationMinutes: null,
    coveredMinutes: null,
    totalMinutes: null,
    metric: null,
    baseline: null,
    value: null,
    higherIsBetter: null,
  };
  switch (input.kind) {
    case 'WORKFLOW_AUGMENTATION': {
      const d = input.augmentation!;
      return { ...base, workflowId: checkId(d.workflowId, 'input.augmentation.workflowId', 'workflow'), minutesSaved: checkNumber(d.minutesSaved, 'input.augmentation.minutesSaved', 0, 10_000, 'Give the minutes the augmented workflow saved (0–10000).') };
    }
    case 'SOLUTION_ADOPTION': {
      const d = input.adoption!;
      const adopterId = checkId(d.adopterId, 'input.adoption.adopterId', 'adopter');
      if (adopterId !== base.personId) throw inputError('input.adoption.adopterId', 'adopterId must equal personId', 'The person recording the adoption is the adopter; pass the same id in both.');
      const sourceId = d.sourceId ? checkId(d.sourceId, 'input.adoption.sourceId', 'source person') : null;
      if (sourceId === adopterId) throw inputError('input.adoption.sourceId', 'A person cannot adopt a solution from themselves', 'Leave sourceId empty for the originator.');
      return { ...base, solutionId: checkId(d.solutionId, 'input.adoption.solutionId', 'solution'), sourceId };
    }
    case 'INTERACTION_DEPTH': {
      const d = input.interaction!;
      const turns = checkNumber(d.turns, 'input.interaction.turns', 0, 10_000, 'Give the number of turns of the interaction (0–10000).');
      if (!Number.isInteger(turns)) throw inputError('input.interaction.turns', 'turns must be a whole number', 'Count the turns of the interaction.');
      const durationMinutes = d.durationMinutes === null || d.durationMinutes === undefined ? null : checkNumber(d.durationMinutes, 'input.interaction.durationMinutes', 0, 1440, 'Give the duration in minutes (0–1440).');
      return { ...base, turns, durationMinutes };
    }
    case 'CALENDAR_COVERAGE': {
      const d = input.calendar!;
      const totalMinutes = checkNumber(d.totalMinutes, 'input.calendar.totalMinutes', 1, 100_000, 'Give the calendar minutes considered (at least 1).');
      const coveredMinutes = checkNumber(d.coveredMinutes, 'input.calendar.coveredMinutes', 0, totalMinutes, 'Covered minutes cannot exceed totalMinutes.');
      return { ...base, coveredMinutes, totalMinutes };
    }
    case 'BUSINESS_OUTCOME': {
      const d = input.outcome!;
      const metric = (d.metric ?? '').trim();
      if (metric.length < 1 || metric.length > 80) throw inputError('input.outcome.metric', 'metric must be 1–80 characters', 'Name the business metric, e.g. "ticket resolution hours".');
      return {
        ...base,
        metric,
        baseline: checkNumber(d.baseline, 'input.outcome.baseline', -1e12, 1e12, 'Give the metric value before the change.'),
        value: checkNumber(d.value, 'input.outcome.value', -1e12, 1e12, 'Give the metric value after the change.'),
        higherIsBetter: d.higherIsBetter ?? true,
      };
    }
  }
};

/** A window of at most 366 days with from < to. */
export const checkWindow = (window: { from: string; to: string }, field = 'window'): ImpactWindow => {
  const from = new Date(window.from);
  const to = new Date(window.to);
  if (Number.isNaN(from.getTime())) throw inputError(`${field}.from`, 'from is not a valid time', 'Use ISO-8601 UTC.');
  if (Number.isNaN(to.getTime())) throw inputError(`${field}.to`, 'to is not a valid time', 'Use ISO-8601 UTC.');
  if (from.getTime() >= to.getTime()) throw inputError(`${field}.to`, 'to must be after from', 'Swap the bounds or widen the window.');
  if (to.getTime() - from.getTime() > MAX_WINDOW_DAYS * 86_400_000) throw inputError(`${field}.from`, 'The window is longer than 366 days', 'Ask for at most a year at a time.');
  return { from, to };
};

export const CONSENT_SCOPES = ['IMPACT_TRACKING', 'PASSION_ANALYSIS', 'ENRICHMENT', 'PULSE'] as const;
export type ConsentScope = (typeof CONSENT_SCOPES)[number];

export const checkConsentScopes = (scopes: readonly string[]): ConsentScope[] => {
  for (const scope of scopes) {
    if (!(CONSENT_SCOPES as readonly string[]).includes(scope)) throw inputError('input.scopes', `Unknown consent scope ${scope}`, `Use any of ${CONSENT_SCOPES.join(', ')}.`);
  }
  return [...new Set(scopes)].sort() as ConsentScope[];
};

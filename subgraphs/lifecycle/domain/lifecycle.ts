import { inputError } from '../../../platform/errors.ts';
import type { HealthBand } from './health.ts';

export type LifecycleStage = 'TRIAL' | 'ACTIVE' | 'AT_RISK' | 'RENEWAL' | 'CHURNED';

export const STAGES: readonly LifecycleStage[] = ['TRIAL', 'ACTIVE', 'AT_RISK', 'RENEWAL', 'CHURNED'];

/** Allowed transitions. A new client starts in TRIAL or ACTIVE; CHURNED clients can be won back. */
export const TRANSITIONS: Readonly<Record<LifecycleStage, readonly LifecycleStage[]>> = {
  TRIAL: ['ACTIVE', 'AT_RISK', 'CHURNED'],
  ACTIVE: ['AT_RISK', 'RENEWAL', 'CHURNED'],
  AT_RISK: ['ACTIVE', 'RENEWAL', 'CHURNED'],
  RENEWAL: ['ACTIVE', 'AT_RISK', 'CHURNED'],
  CHURNED: ['TRIAL', 'ACTIVE'],
};

export const INITIAL_STAGES: readonly LifecycleStage[] = ['TRIAL', 'ACTIVE'];

/** Checks a manual transition; throws an input error naming `input.stage` when it is not allowed. */
export const checkTransition = (from: LifecycleStage | null, to: LifecycleStage): LifecycleStage => {
  if (from === null) {
    if (!INITIAL_STAGES.includes(to)) throw inputError('input.stage', `a client cannot start in ${to}`, `Start in ${INITIAL_STAGES.join(' or ')}.`);
    return to;
  }
  if (from === to) throw inputError('input.stage', `the client is already ${to}`, 'Choose a different stage.');
  if (!TRANSITIONS[from].includes(to)) throw inputError('input.stage', `cannot move from ${from} to ${to}`, `From ${from} the client can move to ${TRANSITIONS[from].join(', ')}.`);
  return to;
};

/**
 * Automatic transition from a health band: a RED score moves ACTIVE, TRIAL or RENEWAL clients to
 * AT_RISK; a GREEN score moves AT_RISK clients back to ACTIVE. No stage yet, or CHURNED: no change.
 */
export const stageFromHealth = (current: LifecycleStage | null, band: HealthBand): LifecycleStage | null => {
  if (current === null || current === 'CHURNED') return null;
  if (band === 'RED' && current !== 'AT_RISK') return 'AT_RISK';
  if (band === 'GREEN' && current === 'AT_RISK') return 'ACTIVE';
  return null;
};

export type LifecycleMessageKind = 'TRIAL_DAY_1' | 'TRIAL_DAY_7' | 'TRIAL_DAY_13' | 'MONTH_6' | 'MONTH_11';

export interface ScheduledMessage {
  kind: LifecycleMessageKind;
  dueAt: string;
  due: boolean;
}

/** Adds calendar months in UTC, clamping to the month's last day (Jan 31 + 1 month = Feb 28/29). */
export const addMonths = (at: Date, months: number): Date => {
  const year = at.getUTCFullYear();
  const month = at.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return new Date(Date.UTC(year, month, Math.min(at.getUTCDate(), lastDay), at.getUTCHours(), at.getUTCMinutes(), at.getUTCSeconds(), at.getUTCMilliseconds()));
};

const TRIAL_DAYS: ReadonlyArray<[LifecycleMessageKind, number]> = [['TRIAL_DAY_1', 1], ['TRIAL_DAY_7', 7], ['TRIAL_DAY_13', 13]];
const CUSTOMER_MONTHS: ReadonlyArray<[LifecycleMessageKind, number]> = [['MONTH_6', 6], ['MONTH_11', 11]];

/**
 * The lifecycle messaging schedule of a client. In TRIAL: trial day 1, 7 and 13, where day N is
 * N − 1 days after the latest move into TRIAL. As a customer (ACTIVE, AT_RISK, RENEWAL): month 6 and
 * month 11 (renewal reminders) after the first move into ACTIVE since the latest trial or win-back.
 * CHURNED or no stage: nothing. `due` says whether the message's time has come.
 */
export const messagingSchedule = (stage: LifecycleStage | null, transitions: ReadonlyArray<{ from: LifecycleStage | null; to: LifecycleStage; at: string }>, now: Date): ScheduledMessage[] => {
  if (stage === null || stage === 'CHURNED') return [];
  const ordered = [...transitions].sort((a, b) => a.at.localeCompare(b.at));
  const make = (kind: LifecycleMessageKind, at: Date): ScheduledMessage => ({ kind, dueAt: at.toISOString(), due: at.getTime() <= now.getTime() });
  if (stage === 'TRIAL') {
    const start = [...ordered].reverse().find((t) => t.to === 'TRIAL');
    if (!start) return [];
    return TRIAL_DAYS.map(([kind, day]) => make(kind, new Date(Date.parse(start.at) + (day - 1) * 86_400_000)));
  }
  // The customer relationship starts at the first ACTIVE after the latest TRIAL start or churn.
  let startIndex = 0;
  ordered.forEach((t, i) => {
    if (t.to === 'TRIAL' || t.from === 'CHURNED' || t.to === 'CHURNED') startIndex = i;
  });
  const activation = ordered.slice(startIndex).find((t) => t.to === 'ACTIVE');
  if (!activation) return [];
  return CUSTOMER_MONTHS.map(([kind, months]) => make(kind, addMonths(new Date(activation.at), months)));
};

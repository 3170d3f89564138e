import { inputError } from '../../../platform/errors.ts';

export type SubscriptionPlan = 'FREE' | 'PRO' | 'ENTERPRISE';
export type SubscriptionStatus = 'TRIALING' | 'ACTIVE' | 'PAST_DUE' | 'CANCELED' | 'CHURNED';

const DAY = 86_400_000;

/** Per-seat monthly prices in cents; FREE allows at most 3 seats, ENTERPRISE bills at least 10. */
export const PLAN_SEAT_PRICE_CENTS: Readonly<Record<SubscriptionPlan, number>> = { FREE: 0, PRO: 4_900, ENTERPRISE: 8_900 };
export const FREE_MAX_SEATS = 3;
export const ENTERPRISE_MIN_SEATS = 10;
export const TRIAL_DAYS = 14;
export const BILLING_PERIOD_DAYS = 30;
/** A canceled subscription not restarted within this many days counts as churned. */
export const CHURN_GRACE_DAYS = 30;

export interface DunningPolicy {
  /** Failed attempts in a row after which the subscription is canceled. */
  maxAttempts: number;
  /** Days until the next retry after the 1st, 2nd, ... failure. */
  retryAfterDays: readonly number[];
}

export const DEFAULT_DUNNING: DunningPolicy = { maxAttempts: 3, retryAfterDays: [1, 3, 5] };

/** Monthly amount in cents for a plan and seat count; refuses seat counts the plan does not allow. */
export const monthlyAmountCents = (plan: SubscriptionPlan, seats: number, field = 'input.seats'): number => {
  if (!Number.isInteger(seats) || seats < 1 || seats > 100_000) throw inputError(field, 'Seats must be a whole number from 1 to 100,000', 'Count the people who will use the product.');
  if (plan === 'FREE' && seats > FREE_MAX_SEATS) throw inputError(field, `The FREE plan allows at most ${FREE_MAX_SEATS} seats`, 'Choose PRO or ENTERPRISE for more seats.');
  const billed = plan === 'ENTERPRISE' ? Math.max(seats, ENTERPRISE_MIN_SEATS) : seats;
  return billed * PLAN_SEAT_PRICE_CENTS[plan];
};

export interface SubscriptionState {
  plan: SubscriptionPlan;
  status: SubscriptionStatus;
  failedAttempts: number;
  currentPeriodEnd: string | null;
  nextRetryAt: string | null;
  canceledAt: string | null;
}

/** A new subscription: paid plans start a 14-day trial, FREE is active at once. */
export const startState = (plan: SubscriptionPlan, at: Date): SubscriptionState & { trialEndsAt: string | null } =>
  plan === 'FREE'
    ? { plan, status: 'ACTIVE', failedAttempts: 0, currentPeriodEnd: null, nextRetryAt: null, canceledAt: null, trialEndsAt: null }
    : { plan, status: 'TRIALING', failedAttempts: 0, currentPeriodEnd: new Date(at.getTime() + TRIAL_DAYS * DAY).toISOString(), nextRetryAt: null, canceledAt: null, trialEndsAt: new Date(at.getTime() + TRIAL_DAYS * DAY).toISOString() };

export type PaymentOutcome = 'PAYMENT_SUCCEEDED' | 'PAYMENT_FAILED' | 'CANCELED_FOR_NONPAYMENT';

/**
 * Dunning: a successful payment makes the subscription ACTIVE for a new 30-day period and clears
 * failures; a failed one makes it PAST_DUE and schedules a retry, and the `maxAttempts`-th failure in a
 * row cancels it. FREE plans and closed subscriptions take no payments.
 */
export const applyPaymentAttempt = (state: SubscriptionState, succeeded: boolean, at: Date, policy: DunningPolicy = DEFAULT_DUNNING): { state: SubscriptionState; outcome: PaymentOutcome } => {
  if (state.plan === 'FREE') throw inputError('input.succeeded', 'The FREE plan has nothing to charge', 'Change the plan to PRO or ENTERPRISE first.');
  if (state.status === 'CANCELED' || state.status === 'CHURNED') throw inputError('input.succeeded', `The subscription is ${state.status}`, 'Start a new subscription instead.');
  if (succeeded) {
    return {
      state: { ...state, status: 'ACTIVE', failedAttempts: 0, nextRetryAt: null, currentPeriodEnd: new Date(at.getTime() + BILLING_PERIOD_DAYS * DAY).toISOString() },
      outcome: 'PAYMENT_SUCCEEDED',
    };
  }
  const failedAttempts = state.failedAttempts + 1;
  if (failedAttempts >= policy.maxAttempts) {
    return { state: { ...state, status: 'CANCELED', failedAttempts, nextRetryAt: null, canceledAt: at.toISOString() }, outcome: 'CANCELED_FOR_NONPAYMENT' };
  }
  const wait = policy.retryAfterDays[Math.min(failedAttempts - 1, policy.retryAfterDays.length - 1)] ?? 1;
  return { state: { ...state, status: 'PAST_DUE', failedAttempts, nextRetryAt: new Date(at.getTime() + wait * DAY).toISOString() }, outcome: 'PAYMENT_FAILED' };
};

/** Cancels an open subscription at `at`. */
export const cancelState = (state: SubscriptionState, at: Date): SubscriptionState => {
  if (state.status === 'CANCELED' || state.status === 'CHURNED') throw inputError('id', `The subscription is already ${state.status}`, 'Nothing to cancel.');
  return { ...state, status: 'CANCELED', nextRetryAt: null, canceledAt: at.toISOString() };
};

/** Changes plan; the failure count and status stay (a PAST_DUE subscription stays PAST_DUE). */
export const changePlanState = (state: SubscriptionState, plan: SubscriptionPlan): SubscriptionState => {
  if (state.status === 'CANCELED' || state.status === 'CHURNED') throw inputError('input.plan', `The subscription is ${state.status}`, 'Start a new subscription instead.');
  if (plan === state.plan) throw inputError('input.plan', `The subscription is already on ${plan}`, 'Pick another plan.');
  if (plan === 'FREE') return { ...state, plan, status: 'ACTIVE', failedAttempts: 0, nextRetryAt: null, currentPeriodEnd: null };
  return { ...state, plan };
};

/** The status as of `now`: a subscription CANCELED more than CHURN_GRACE_DAYS ago is CHURNED. */
export const effectiveStatus = (state: Pick<SubscriptionState, 'status' | 'canceledAt'>, now: Date): SubscriptionStatus => {
  if (state.status === 'CANCELED' && state.canceledAt && now.getTime() - Date.parse(state.canceledAt) > CHURN_GRACE_DAYS * DAY) return 'CHURNED';
  return state.status;
};

/** Whether a new subscription may replace the existing one: only once it is closed. */
export const canRestart = (state: Pick<SubscriptionState, 'status' | 'canceledAt'>, now: Date): boolean => {
  const status = effectiveStatus(state, now);
  return status === 'CANCELED' || status === 'CHURNED';
};

import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../../../platform/errors.ts';
import { applyPaymentAttempt, cancelState, canRestart, changePlanState, effectiveStatus, monthlyAmountCents, startState, type SubscriptionState } from './billing.ts';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return `${error.code}:${error.options.field}`;
    throw error;
  }
  return undefined;
};

const T0 = new Date('2026-03-01T00:00:00.000Z');
const active: SubscriptionState = { plan: 'PRO', status: 'ACTIVE', failedAttempts: 0, currentPeriodEnd: '2026-03-31T00:00:00.000Z', nextRetryAt: null, canceledAt: null };

describe('plan pricing', () => {
  it('prices seats per plan', () => {
    expect(monthlyAmountCents('FREE', 3)).toBe(0);
    expect(monthlyAmountCents('PRO', 5)).toBe(24_500);
    // ENTERPRISE bills at least 10 seats: 4 → 10 × 8,900
    expect(monthlyAmountCents('ENTERPRISE', 4)).toBe(89_000);
    expect(monthlyAmountCents('ENTERPRISE', 12)).toBe(106_800);
  });
  it('refuses seat counts the plan does not allow', () => {
    expect(codeOf(() => monthlyAmountCents('FREE', 4))).toBe('BAD_USER_INPUT:input.seats');
    expect(codeOf(() => monthlyAmountCents('PRO', 0))).toBe('BAD_USER_INPUT:input.seats');
  });
});

describe('subscription lifecycle', () => {
  it('starts paid plans in a 14-day trial and FREE as active', () => {
    expect(startState('PRO', T0)).toMatchObject({ status: 'TRIALING', trialEndsAt: '2026-03-15T00:00:00.000Z', currentPeriodEnd: '2026-03-15T00:00:00.000Z' });
    expect(startState('FREE', T0)).toMatchObject({ status: 'ACTIVE', trialEndsAt: null });
  });
  it('dunning: failures go PAST_DUE with retries after 1 and 3 days, the third cancels', () => {
    const first = applyPaymentAttempt(active, false, T0);
    expect(first.outcome).toBe('PAYMENT_FAILED');
    expect(first.state).toMatchObject({ status: 'PAST_DUE', failedAttempts: 1, nextRetryAt: '2026-03-02T00:00:00.000Z' });
    const second = applyPaymentAttempt(first.state, false, new Date('2026-03-02T00:00:00.000Z'));
    expect(second.state).toMatchObject({ status: 'PAST_DUE', failedAttempts: 2, nextRetryAt: '2026-03-05T00:00:00.000Z' });
    const third = applyPaymentAttempt(second.state, false, new Date('2026-03-05T00:00:00.000Z'));
    expect(third.outcome).toBe('CANCELED_FOR_NONPAYMENT');
    expect(third.state).toMatchObject({ status: 'CANCELED', failedAttempts: 3, nextRetryAt: null, canceledAt: '2026-03-05T00:00:00.000Z' });
  });
  it('a success recovers a PAST_DUE subscription and starts a 30-day period', () => {
    const failed = applyPaymentAttempt(active, false, T0).state;
    const ok = applyPaymentAttempt(failed, true, T0);
    expect(ok.outcome).toBe('PAYMENT_SUCCEEDED');
    expect(ok.state).toMatchObject({ status: 'ACTIVE', failedAttempts: 0, nextRetryAt: null, currentPeriodEnd: '2026-03-31T00:00:00.000Z' });
  });
  it('a trial converts to ACTIVE on payment', () => {
    const { trialEndsAt: _t, ...trial } = startState('PRO', T0);
    expect(applyPaymentAttempt(trial, true, T0).state.status).toBe('ACTIVE');
  });
  it('honours a custom policy', () => {
    expect(applyPaymentAttempt(active, false, T0, { maxAttempts: 1, retryAfterDays: [] }).outcome).toBe('CANCELED_FOR_NONPAYMENT');
  });
  it('refuses payments on FREE and closed subscriptions', () => {
    expect(codeOf(() => applyPaymentAttempt({ ...active, plan: 'FREE' }, true, T0))).toBe('BAD_USER_INPUT:input.succeeded');
    expect(codeOf(() => applyPaymentAttempt({ ...active, status: 'CANCELED' }, true, T0))).toBe('BAD_USER_INPUT:input.succeeded');
  });
  it('cancels once, and CANCELED becomes CHURNED after 30 days', () => {
    const canceled = cancelState(active, T0);
    expect(canceled).toMatchObject({ status: 'CANCELED', canceledAt: '2026-03-01T00:00:00.000Z' });
    expect(codeOf(() => cancelState(canceled, T0))).toBe('BAD_USER_INPUT:id');
    expect(effectiveStatus(canceled, new Date('2026-03-31T00:00:00.000Z'))).toBe('CANCELED');
    expect(effectiveStatus(canceled, new Date('2026-03-31T00:00:00.001Z'))).toBe('CHURNED');
    expect(effectiveStatus(active, new Date('2030-01-01'))).toBe('ACTIVE');
    expect(canRestart(canceled, T0)).toBe(true);
    expect(canRestart(active, T0)).toBe(false);
  });
  it('changing plan keeps status; moving to FREE clears dunning', () => {
    const pastDue = applyPaymentAttempt(active, false, T0).state;
    expect(changePlanState(pastDue, 'ENTERPRISE')).toMatchObject({ plan: 'ENTERPRISE', status: 'PAST_DUE', failedAttempts: 1 });
    expect(changePlanState(pastDue, 'FREE')).toMatchObject({ plan: 'FREE', status: 'ACTIVE', failedAttempts: 0, nextRetryAt: null });
    expect(codeOf(() => changePlanState(active, 'PRO'))).toBe('BAD_USER_INPUT:input.plan');
  });
});

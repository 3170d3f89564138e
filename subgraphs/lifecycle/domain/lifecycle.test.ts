import { DomainError } from '../../../platform/errors.ts';
import { addMonths, checkTransition, messagingSchedule, stageFromHealth } from './lifecycle.ts';

const fieldOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error.options.field;
    throw error;
  }
  return undefined;
};

describe('lifecycle stages', () => {
  it('allows only the listed transitions', () => {
    expect(checkTransition(null, 'TRIAL')).toBe('TRIAL');
    expect(checkTransition('ACTIVE', 'RENEWAL')).toBe('RENEWAL');
    expect(checkTransition('CHURNED', 'ACTIVE')).toBe('ACTIVE');
    expect(fieldOf(() => checkTransition(null, 'AT_RISK'))).toBe('input.stage');
    expect(fieldOf(() => checkTransition('ACTIVE', 'ACTIVE'))).toBe('input.stage');
    expect(fieldOf(() => checkTransition('CHURNED', 'AT_RISK'))).toBe('input.stage');
    expect(fieldOf(() => checkTransition('TRIAL', 'RENEWAL'))).toBe('input.stage');
  });

  it('moves stages from the health band', () => {
    expect(stageFromHealth('ACTIVE', 'RED')).toBe('AT_RISK');
    expect(stageFromHealth('TRIAL', 'RED')).toBe('AT_RISK');
    expect(stageFromHealth('RENEWAL', 'RED')).toBe('AT_RISK');
    expect(stageFromHealth('AT_RISK', 'RED')).toBeNull();
    expect(stageFromHealth('AT_RISK', 'GREEN')).toBe('ACTIVE');
    expect(stageFromHealth('AT_RISK', 'YELLOW')).toBeNull();
    expect(stageFromHealth('ACTIVE', 'GREEN')).toBeNull();
    expect(stageFromHealth(null, 'RED')).toBeNull();
    expect(stageFromHealth('CHURNED', 'RED')).toBeNull();
  });
});

describe('lifecycle messaging schedule', () => {
  const now = new Date('2026-03-10T00:00:00.000Z');

  it('adds months with clamping', () => {
    expect(addMonths(new Date('2026-01-31T10:00:00.000Z'), 1).toISOString()).toBe('2026-02-28T10:00:00.000Z');
    expect(addMonths(new Date('2026-08-15T00:00:00.000Z'), 6).toISOString()).toBe('2027-02-15T00:00:00.000Z');
  });

  it('schedules trial day 1, 7 and 13 from the trial start', () => {
    const schedule = messagingSchedule('TRIAL', [{ from: null, to: 'TRIAL', at: '2026-03-01T09:00:00.000Z' }], now);
    expect(schedule).toEqual([
      { kind: 'TRIAL_DAY_1', dueAt: '2026-03-01T09:00:00.000Z', due: true },
      { kind: 'TRIAL_DAY_7', dueAt: '2026-03-07T09:00:00.000Z', due: true },
      { kind: 'TRIAL_DAY_13', dueAt: '2026-03-13T09:00:00.000Z', due: false },
    ]);
  });

  it('schedules month 6 and 11 from the first activation, restarting after a win-back', () => {
    const transitions = [
      { from: null, to: 'TRIAL' as const, at: '2025-01-01T00:00:00.000Z' },
      { from: 'TRIAL' as const, to: 'ACTIVE' as const, at: '2025-01-14T00:00:00.000Z' },
      { from: 'ACTIVE' as const, to: 'AT_RISK' as const, at: '2025-05-01T00:00:00.000Z' },
      { from: 'AT_RISK' as const, to: 'ACTIVE' as const, at: '2025-06-01T00:00:00.000Z' },
    ];
    expect(messagingSchedule('ACTIVE', transitions, now)).toEqual([
      { kind: 'MONTH_6', dueAt: '2025-07-14T00:00:00.000Z', due: true },
      { kind: 'MONTH_11', dueAt: '2025-12-14T00:00:00.000Z', due: true },
    ]);
    const wonBack = [...transitions, { from: 'ACTIVE' as const, to: 'CHURNED' as const, at: '2025-09-01T00:00:00.000Z' }, { from: 'CHURNED' as const, to: 'ACTIVE' as const, at: '2026-01-31T00:00:00.000Z' }];
    expect(messagingSchedule('ACTIVE', wonBack, now).map((m) => m.dueAt)).toEqual(['2026-07-31T00:00:00.000Z', '2026-12-31T00:00:00.000Z']);
    expect(messagingSchedule('CHURNED', wonBack, now)).toEqual([]);
    expect(messagingSchedule(null, [], now)).toEqual([]);
  });
});

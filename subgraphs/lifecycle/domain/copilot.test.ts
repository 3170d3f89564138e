import { audiencesFor, digestOf, rankTasks, taskScore } from './copilot.ts';

const now = new Date('2026-11-23T12:00:00.000Z');

describe('Copilot work list', () => {
  it('maps roles to task audiences', () => {
    expect(audiencesFor(['SUPPORT_SPECIALIST'])).toEqual(['SUPPORT']);
    expect(audiencesFor(['SALES_SPECIALIST', 'SUCCESS_MANAGER'])).toEqual(['SALES', 'SUCCESS']);
    expect(audiencesFor(['MEMBER'])).toEqual(['SALES', 'ONBOARDING', 'SUPPORT', 'SUCCESS']);
    expect(audiencesFor([])).toEqual([]);
  });

  it('scores priority plus SLA risk', () => {
    expect(taskScore({ id: 'a', priority: 'HIGH', dueAt: '2026-11-23T11:00:00.000Z' }, now)).toBe(50);
    expect(taskScore({ id: 'b', priority: 'MEDIUM', dueAt: '2026-11-23T15:00:00.000Z' }, now)).toBe(30);
    expect(taskScore({ id: 'c', priority: 'LOW', dueAt: '2026-11-24T10:00:00.000Z' }, now)).toBe(15);
    expect(taskScore({ id: 'd', priority: 'HIGH', dueAt: '2026-11-26T12:00:00.000Z' }, now)).toBe(30);
  });

  it('ranks by score, then due time, then id', () => {
    const tasks = [
      { id: 'd', priority: 'HIGH' as const, dueAt: '2026-11-26T12:00:00.000Z' },
      { id: 'b', priority: 'MEDIUM' as const, dueAt: '2026-11-23T15:00:00.000Z' },
      { id: 'a', priority: 'HIGH' as const, dueAt: '2026-11-23T11:00:00.000Z' },
      { id: 'c', priority: 'LOW' as const, dueAt: '2026-11-24T10:00:00.000Z' },
    ];
    // scores: a 50, b 30 (due sooner than d), d 30, c 15
    expect(rankTasks(tasks, now).map((t) => t.id)).toEqual(['a', 'b', 'd', 'c']);
  });
});

describe('away digest', () => {
  it('counts by severity and highlights the most pressing first', () => {
    const events = [
      { id: '1', kind: 'org.created', summary: 'Org created: Acme', severity: 'INFO' as const, occurredAt: '2026-11-23T08:00:00.000Z' },
      { id: '2', kind: 'health.alert.raised', summary: 'Health alert: dropped', severity: 'CRITICAL' as const, occurredAt: '2026-11-23T09:00:00.000Z' },
      { id: '3', kind: 'support.ticket.escalated', summary: 'Ticket escalated', severity: 'WARNING' as const, occurredAt: '2026-11-23T10:00:00.000Z' },
    ];
    const digest = digestOf(events, 2);
    expect(digest).toMatchObject({ total: 3, critical: 1, warning: 1, info: 1 });
    expect(digest.highlights.map((e) => e.id)).toEqual(['2', '3']);
    expect(digest.headline).toBe('While you were away: 3 events (1 critical, 1 warning). Most pressing: Health alert: dropped.');
    expect(digestOf([events[0]]).headline).toBe('While you were away: 1 event (0 critical, 0 warnings). Latest: Org created: Acme.');
    expect(digestOf([]).headline).toBe('Nothing happened while you were away.');
  });
});

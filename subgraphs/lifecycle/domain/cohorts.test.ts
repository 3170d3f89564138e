import { activityOf, cohortMembers, localDraft, organizationCohorts } from './cohorts.ts';

describe('cohorts', () => {
  it('places the organization by stage, health and usage', () => {
    expect(organizationCohorts({ stage: 'TRIAL', band: 'GREEN', score: 85, usageFrequency: 7 })).toEqual(['TRIAL']);
    expect(organizationCohorts({ stage: 'RENEWAL', band: 'RED', score: 40, usageFrequency: 1 })).toEqual(['AT_RISK', 'RENEWAL']);
    expect(organizationCohorts({ stage: 'ACTIVE', band: 'GREEN', score: 90, usageFrequency: 5 })).toEqual(['POWER_USER']);
    expect(organizationCohorts({ stage: 'ACTIVE', band: 'GREEN', score: 90, usageFrequency: 4 })).toEqual([]);
    expect(organizationCohorts({ stage: 'ACTIVE', band: 'RED', score: 50, usageFrequency: 7 })).toEqual(['AT_RISK']);
    expect(organizationCohorts({ stage: null, band: null, score: null, usageFrequency: null })).toEqual([]);
  });

  it('counts activity per organization user (not staff), busiest first, with the most frequent kind', () => {
    const rows = [
      { actorId: 'u1', kind: 'a.x', occurredAt: '2026-11-01T00:00:00Z' },
      { actorId: 'u2', kind: 'b.y', occurredAt: '2026-11-02T00:00:00Z' },
      { actorId: 'u2', kind: 'b.y', occurredAt: '2026-11-05T00:00:00Z' },
      { actorId: 'u2', kind: 'c.z', occurredAt: '2026-11-03T00:00:00Z' },
      { actorId: 'staff', kind: 'user.created', occurredAt: '2026-11-06T00:00:00Z' },
    ];
    expect(activityOf(rows, new Set(['u1', 'u2']))).toEqual([
      { userId: 'u2', actions: 3, lastActiveAt: '2026-11-05T00:00:00Z', topKind: 'b.y' },
      { userId: 'u1', actions: 1, lastActiveAt: '2026-11-01T00:00:00Z', topKind: 'a.x' },
    ]);
  });

  it('power users need ≥ 10 actions; organization cohorts take every active user', () => {
    const users = [
      { userId: 'busy', actions: 10, lastActiveAt: 't', topKind: 'k' },
      { userId: 'light', actions: 9, lastActiveAt: 't', topKind: 'k' },
    ];
    expect(cohortMembers('POWER_USER', [], users).map((u) => u.userId)).toEqual(['busy']);
    expect(cohortMembers('AT_RISK', ['AT_RISK'], users).map((u) => u.userId)).toEqual(['busy', 'light']);
    expect(cohortMembers('TRIAL', ['AT_RISK'], users)).toEqual([]);
  });

  it('personalizes the draft with the member and organization facts', () => {
    const d = localDraft({ cohort: 'AT_RISK', stage: 'AT_RISK', score: 42, band: 'RED', actions: 12, topKind: 'support.ticket.opened' });
    expect(d.subject).toBe('Can we help?');
    expect(d.body).toContain('a health score of 42 (RED)');
    expect(d.body).toContain('12 actions in the last 30 days, mostly support requests');
    expect(localDraft({ cohort: 'POWER_USER', stage: 'ACTIVE', score: 90, band: 'GREEN', actions: 1, topKind: 'qbr.deck.generated' }).body).toContain('1 action in the last 30 days, mostly qbr deck');
  });
});

import type { HealthBand } from './health.ts';
import type { LifecycleStage } from './lifecycle.ts';

/** Pure cohort membership and message drafting. */

export type Cohort = 'TRIAL' | 'POWER_USER' | 'AT_RISK' | 'RENEWAL';
export const COHORTS: readonly Cohort[] = ['TRIAL', 'POWER_USER', 'AT_RISK', 'RENEWAL'];

/** Actions in the activity window from which a user is a power user. */
export const POWER_USER_MIN_ACTIONS = 10;
/** Active days in the last 7 from which the organization counts as a power-user organization. */
export const POWER_USAGE_DAYS = 5;
/** The activity window, in days. */
export const ACTIVITY_WINDOW_DAYS = 30;

export interface OrganizationFacts {
  stage: LifecycleStage | null;
  band: HealthBand | null;
  score: number | null;
  /** Active days in the last 7 from the latest health signals. */
  usageFrequency: number | null;
}

/** The organization's cohorts: stage TRIAL/RENEWAL; AT_RISK by stage or a red band; POWER_USER when ACTIVE, not red, using it ≥ 5 days a week. */
export const organizationCohorts = (facts: OrganizationFacts): Cohort[] => {
  const out = new Set<Cohort>();
  if (facts.stage === 'TRIAL') out.add('TRIAL');
  if (facts.stage === 'RENEWAL') out.add('RENEWAL');
  if (facts.stage === 'AT_RISK' || facts.band === 'RED') out.add('AT_RISK');
  if (facts.stage === 'ACTIVE' && facts.band !== 'RED' && (facts.usageFrequency ?? 0) >= POWER_USAGE_DAYS) out.add('POWER_USER');
  return COHORTS.filter((c) => out.has(c));
};

export interface UserActivity {
  userId: string;
  actions: number;
  lastActiveAt: string;
  /** The event kind the user produced most. */
  topKind: string;
}

/**
 * Counts each organization user's actions from (actorId, kind, occurredAt) rows; busiest first, then
 * by id. Actors who are not users of the organization (platform staff provisioning it, assigned
 * agents) are left out: drafts go to the client's own people.
 */
export const activityOf = (rows: ReadonlyArray<{ actorId: string; kind: string; occurredAt: string }>, orgUsers: ReadonlySet<string>): UserActivity[] => {
  const byUser = new Map<string, { actions: number; last: string; kinds: Map<string, number> }>();
  for (const r of rows) {
    if (!orgUsers.has(r.actorId)) continue;
    const u = byUser.get(r.actorId) ?? { actions: 0, last: r.occurredAt, kinds: new Map<string, number>() };
    u.actions += 1;
    if (r.occurredAt > u.last) u.last = r.occurredAt;
    u.kinds.set(r.kind, (u.kinds.get(r.kind) ?? 0) + 1);
    byUser.set(r.actorId, u);
  }
  return [...byUser.entries()]
    .map(([userId, u]) => ({ userId, actions: u.actions, lastActiveAt: u.last, topKind: [...u.kinds.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0][0] }))
    .sort((a, b) => b.actions - a.actions || a.userId.localeCompare(b.userId));
};

/**
 * Members of a cohort among the organization's active users: for POWER_USER the users with ≥ 10
 * actions in the window (whatever the organization's cohorts); for the organization-level cohorts
 * every active user, when the organization is in that cohort.
 */
export const cohortMembers = (cohort: Cohort, orgCohorts: readonly Cohort[], users: readonly UserActivity[]): UserActivity[] => {
  if (cohort === 'POWER_USER') return users.filter((u) => u.actions >= POWER_USER_MIN_ACTIONS);
  return orgCohorts.includes(cohort) ? [...users] : [];
};

export interface DraftFacts {
  cohort: Cohort;
  stage: LifecycleStage | null;
  score: number | null;
  band: HealthBand | null;
  actions: number;
  topKind: string;
}

const TOPIC: Readonly<Record<string, string>> = {
  'support.ticket.opened': 'support requests',
  'health.score.recorded': 'health reviews',
  'experiment.outcome.recorded': 'message experiments',
  'copilot.task.updated': 'Copilot tasks',
};

const topicOf = (kind: string): string => TOPIC[kind] ?? kind.split('.').slice(0, 2).join(' ').replace(/_/g, ' ');

/** A deterministic, personalized draft (subject and body) for one cohort member. */
export const localDraft = (f: DraftFacts): { subject: string; body: string } => {
  const health = f.score === null ? 'no health score yet' : `a health score of ${f.score} (${f.band})`;
  const work = `${f.actions} action${f.actions === 1 ? '' : 's'} in the last ${ACTIVITY_WINDOW_DAYS} days, mostly ${topicOf(f.topKind)}`;
  switch (f.cohort) {
    case 'TRIAL':
      return { subject: 'Getting the most from your trial', body: `You have taken ${work}. Your organization has ${health}. Book a 20-minute setup review and we will configure your next workflow with you before the trial ends.` };
    case 'POWER_USER':
      return { subject: 'Thank you for being a power user', body: `With ${work}, you are one of the most active people on the platform. Would you join our advanced-features preview and share what would save you more time?` };
    case 'AT_RISK':
      return { subject: 'Can we help?', body: `We noticed your organization has ${health}. You have taken ${work}. Your success manager would like to schedule a call this week to remove whatever is in the way.` };
    case 'RENEWAL':
      return { subject: 'Your renewal and the quarter ahead', body: `Your renewal is coming up. Your organization has ${health}, and you have taken ${work}. Let us review the results together and plan next year's objectives.` };
  }
};

import type { TimelineSeverity } from './timeline.ts';

export type Audience = 'SALES' | 'ONBOARDING' | 'SUPPORT' | 'SUCCESS';
export const AUDIENCES: readonly Audience[] = ['SALES', 'ONBOARDING', 'SUPPORT', 'SUCCESS'];

const ROLE_AUDIENCE: Readonly<Record<string, Audience>> = {
  SALES_AGENT: 'SALES',
  SALES_SPECIALIST: 'SALES',
  ONBOARDING_SPECIALIST: 'ONBOARDING',
  SUPPORT_SPECIALIST: 'SUPPORT',
  SUCCESS_MANAGER: 'SUCCESS',
};
const FULL_VIEW_ROLES = new Set(['OWNER', 'ADMIN', 'MEMBER', 'VIEWER', 'PLATFORM_ADMIN']);

/** Task audiences a principal works on: all for organization users, the staff role's own otherwise. */
export const audiencesFor = (roles: readonly string[]): Audience[] => {
  if (roles.some((r) => FULL_VIEW_ROLES.has(r))) return [...AUDIENCES];
  const mine = new Set(roles.map((r) => ROLE_AUDIENCE[r]).filter((a): a is Audience => a !== undefined));
  return AUDIENCES.filter((a) => mine.has(a));
};

export interface RankableTask {
  id: string;
  priority: 'HIGH' | 'MEDIUM' | 'LOW';
  dueAt: string;
}

const PRIORITY_POINTS = { HIGH: 30, MEDIUM: 20, LOW: 10 } as const;

/**
 * Work-list score of a task: priority (HIGH 30, MEDIUM 20, LOW 10) plus SLA risk (overdue 20, due
 * within 4 hours 10, within 24 hours 5, later 0).
 */
export const taskScore = (task: RankableTask, now: Date): number => {
  const hoursLeft = (Date.parse(task.dueAt) - now.getTime()) / 3_600_000;
  const risk = hoursLeft < 0 ? 20 : hoursLeft <= 4 ? 10 : hoursLeft <= 24 ? 5 : 0;
  return PRIORITY_POINTS[task.priority] + risk;
};

/** Tasks best first: higher score, then earlier due time, then id. */
export const rankTasks = <T extends RankableTask>(tasks: readonly T[], now: Date): T[] =>
  tasks
    .map((task) => ({ task, score: taskScore(task, now) }))
    .sort((a, b) => b.score - a.score || a.task.dueAt.localeCompare(b.task.dueAt) || a.task.id.localeCompare(b.task.id))
    .map((entry) => entry.task);

export interface DigestEvent {
  id: string;
  kind: string;
  summary: string;
  severity: TimelineSeverity;
  occurredAt: string;
}

const SEVERITY_RANK: Readonly<Record<TimelineSeverity, number>> = { CRITICAL: 2, WARNING: 1, INFO: 0 };

/**
 * "What happened while you were away": counts by severity, the highlights (critical first, then
 * warnings, then the rest; newest first within a severity; at most `limit`), and a one-line headline.
 */
export const digestOf = <E extends DigestEvent>(events: readonly E[], limit = 5): { total: number; critical: number; warning: number; info: number; headline: string; highlights: E[] } => {
  const count = (s: TimelineSeverity): number => events.filter((e) => e.severity === s).length;
  const critical = count('CRITICAL');
  const warning = count('WARNING');
  const info = count('INFO');
  const highlights = [...events].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || b.occurredAt.localeCompare(a.occurredAt) || b.id.localeCompare(a.id)).slice(0, limit);
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  const headline =
    events.length === 0
      ? 'Nothing happened while you were away.'
      : `While you were away: ${plural(events.length, 'event')} (${critical} critical, ${plural(warning, 'warning')}). ${critical + warning > 0 ? `Most pressing: ${highlights[0].summary}.` : `Latest: ${highlights[0].summary}.`}`;
  return { total: events.length, critical, warning, info, headline, highlights };
};

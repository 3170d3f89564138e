import { TOPICS } from '../../../platform/events/topics.ts';

export type TimelineSeverity = 'INFO' | 'WARNING' | 'CRITICAL';

/** Every topic the timeline records: all event families except the audit trail. */
export const TIMELINE_TOPICS: readonly string[] = TOPICS.filter((t) => t !== 'audit_events');

/** What each platform staff role sees on its Copilot timeline. */
export const ROLE_TOPICS: Readonly<Record<string, readonly string[]>> = {
  SALES_AGENT: ['research_events', 'demo_events', 'sales_doc_events', 'billing_events', 'crm_events', 'org_events', 'client_events'],
  SALES_SPECIALIST: ['research_events', 'demo_events', 'sales_doc_events', 'billing_events', 'crm_events', 'org_events', 'client_events'],
  ONBOARDING_SPECIALIST: ['prd_events', 'collaboration_events', 'config_events', 'org_events', 'client_events'],
  SUPPORT_SPECIALIST: ['support_events', 'escalation_events', 'conversation_events'],
  SUCCESS_MANAGER: ['customer_success_events', 'communication_events', 'analytics_experiments', 'agent_action_events'],
};

/** Roles that see every topic of their organization: the organization's own users and platform admins. */
const FULL_VIEW_ROLES = new Set(['OWNER', 'ADMIN', 'MEMBER', 'VIEWER', 'PLATFORM_ADMIN']);

/**
 * Topics a principal with `roles` may see on the timeline: everything for organization users, the
 * union of the role views for staff, nothing for unknown roles. Order follows TIMELINE_TOPICS.
 */
export const topicsVisibleTo = (roles: readonly string[]): string[] => {
  if (roles.some((r) => FULL_VIEW_ROLES.has(r))) return [...TIMELINE_TOPICS];
  const allowed = new Set(roles.flatMap((r) => ROLE_TOPICS[r] ?? []));
  return TIMELINE_TOPICS.filter((t) => allowed.has(t));
};

/** Whether events of `topic` are visible to a principal with `roles`. */
export const isVisible = (roles: readonly string[], topic: string): boolean => topicsVisibleTo(roles).includes(topic);

const str = (value: unknown): string | null => (typeof value === 'string' && value.trim() ? value.trim() : typeof value === 'number' && Number.isFinite(value) ? String(value) : null);

const truncate = (text: string, max = 80): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

const humanize = (word: string): string => word.replace(/[_-]+/g, ' ');

/** The payload fields that name what an event is about, in the order they are tried. */
const LABEL_FIELDS = ['name', 'title', 'companyName', 'subject', 'label', 'summary', 'email', 'slug'];

/**
 * A readable one-liner for an event. Known types get a specific sentence; any other type
 * `a.b.verb` reads "A b verb", followed by ": <label>" from the first of the payload's name, title, companyName,
 * subject, label, summary, email or slug.
 */
export const summarizeEvent = (type: string, payload: Record<string, unknown>): string => {
  switch (type) {
    case 'health.score.recorded':
      return `Health score ${str(payload.score) ?? '?'} (${str(payload.band) ?? '?'})`;
    case 'health.alert.raised':
      return `Health alert: ${str(payload.message) ?? str(payload.kind) ?? 'score changed'}`;
    case 'lifecycle.stage.changed':
      return `Lifecycle stage ${str(payload.from) ?? 'none'} → ${str(payload.to) ?? '?'}`;
    case 'copilot.task.created':
      return `Copilot task: ${truncate(str(payload.title) ?? 'new task')}`;
    case 'support.ticket.opened':
      return `Ticket opened (${str(payload.urgency) ?? '?'}): ${truncate(str(payload.subject) ?? '')}`;
    case 'support.ticket.resolved':
      return `Ticket ${payload.autoResolved === true ? 'resolved autonomously' : 'resolved'}: ${truncate(str(payload.subject) ?? '')}`;
    case 'support.ticket.escalated':
      return `Ticket escalated to a Support Specialist: ${truncate(str(payload.subject) ?? '')}`;
    default: {
      const parts = type.split('.').filter(Boolean).map(humanize);
      const sentence = parts.join(' ');
      const head = sentence ? sentence.charAt(0).toUpperCase() + sentence.slice(1) : 'Event';
      const label = LABEL_FIELDS.map((f) => str(payload[f])).find((v) => v !== null);
      return label ? `${head}: ${truncate(label)}` : head;
    }
  }
};

const CRITICAL_TOPICS = new Set(['monitoring_incidents', 'safety_alert_events']);
const WARNING_TOPICS = new Set(['escalation_events']);
const CRITICAL_WORDS = ['breach', 'rollback', 'incident', 'outage', 'reused', 'dead_letter', 'dead-letter'];
const WARNING_WORDS = ['alert', 'escalat', 'fail', 'reject', 'conflict', 'at_risk', 'churn', 'overdue', 'expired'];

/**
 * Severity of an event, first rule that matches:
 * CRITICAL — topic monitoring_incidents or safety_alert_events; a type naming breach, rollback,
 *   incident, outage, reused or dead letter; payload severity/urgency CRITICAL or HIGH; payload band RED.
 * WARNING — topic escalation_events; a type naming alert, escalation, failure, rejection, conflict,
 *   at-risk, churn, overdue or expiry; payload severity/urgency MEDIUM/WARNING; payload band YELLOW.
 * INFO — everything else.
 */
export const severityOf = (topic: string, type: string, payload: Record<string, unknown>): TimelineSeverity => {
  const t = type.toLowerCase();
  const level = (str(payload.severity) ?? str(payload.urgency) ?? '').toUpperCase();
  const band = (str(payload.band) ?? '').toUpperCase();
  if (CRITICAL_TOPICS.has(topic) || CRITICAL_WORDS.some((w) => t.includes(w)) || level === 'CRITICAL' || level === 'HIGH' || band === 'RED') return 'CRITICAL';
  if (WARNING_TOPICS.has(topic) || WARNING_WORDS.some((w) => t.includes(w)) || level === 'MEDIUM' || level === 'WARNING' || band === 'YELLOW') return 'WARNING';
  return 'INFO';
};

/** Entity types of other subgraphs a timeline event's subject can reference (members of `TimelineSubject`). */
export const REFERENCED_SUBJECT_TYPES = [
  'Organization', 'User', 'Team', 'App', 'Assignment',
  'Prospect', 'ResearchReport', 'Demo', 'SalesDocument', 'BillingSubscription',
  'Prd', 'Config', 'ConfigVersion', 'Deployment',
  'KnowledgeDocument', 'Conversation', 'VoiceSession',
  'ImpactEvent', 'PulseRound', 'SafetyAlert',
  'ChatSession', 'ObserverIntervention', 'AgentCollaborationRun', 'Policy',
] as const;
export type ReferencedSubjectType = (typeof REFERENCED_SUBJECT_TYPES)[number];

export const isReferencedSubjectType = (typename: string): typename is ReferencedSubjectType => (REFERENCED_SUBJECT_TYPES as readonly string[]).includes(typename);

/** Entity types this subgraph owns that a subject can be (the rest of `TimelineSubject`). */
export const OWN_SUBJECT_TYPES = ['HealthAlert', 'HealthScore', 'CopilotTask', 'SupportTicket', 'Experiment', 'CrmDelivery', 'MonitoringIncident', 'ApprovalRequest', 'QbrDeck'] as const;
export type OwnSubjectType = (typeof OWN_SUBJECT_TYPES)[number];

export const isOwnSubjectType = (typename: string): typename is OwnSubjectType => (OWN_SUBJECT_TYPES as readonly string[]).includes(typename);

/** The `TimelineSubject` member a resolved subject object stands for (its `__typename`). */
export const subjectTypenameOf = (subject: object): ReferencedSubjectType | OwnSubjectType | null => {
  const typename = '__typename' in subject ? subject.__typename : null;
  return typeof typename === 'string' && (isReferencedSubjectType(typename) || isOwnSubjectType(typename)) ? typename : null;
};

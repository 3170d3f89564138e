import { requirePrincipal, requireScope, type RequestContext, type TenantScope } from '../../platform/context.ts';
import { forbidden, inputError, notFound } from '../../platform/errors.ts';
import type { EventEnvelope } from '../../platform/events/envelope.ts';
import { randomInt } from 'node:crypto';
import { newId } from '../../platform/ids.ts';
import type { ProvenanceRecord } from '../../platform/provenance/provenance.ts';
import type { SubgraphDeps } from '../../platform/server.ts';
import type { Filter, Transaction } from '../../platform/store/port.ts';
import { loaderOf } from '../../platform/store/loader.ts';
import { clampFirst } from '../../platform/store/transaction.ts';
import {
  COMPONENTS,
  DEFAULT_WEIGHTS,
  checkSignals,
  checkWeights,
  dayOf,
  evaluateAlerts,
  explainScore,
  healthScore,
  playbookFor,
  type HealthSignals,
  type HealthWeights,
} from './domain/health.ts';
import { audiencesFor, digestOf, rankTasks } from './domain/copilot.ts';
import { checkExperiment, chooseVariant, posteriorOf, probabilityBest, seedOf, seededRandom, type Random } from './domain/bandit.ts';
import { checkTransition, messagingSchedule, stageFromHealth, type LifecycleStage } from './domain/lifecycle.ts';
import {
  DEFAULT_AUTO_RESOLVE_THRESHOLD,
  SLA_HOURS,
  checkResolution,
  checkThreshold,
  checkTicket,
  combineUrgency,
  decideResolution,
  rankSimilar,
  slaDueAt,
  supportRates,
  urgencyByRules,
  type SupportChannel,
} from './domain/support.ts';
import { isOwnSubjectType, isReferencedSubjectType, severityOf, summarizeEvent, TIMELINE_TOPICS, topicsVisibleTo } from './domain/timeline.ts';
import {
  approvalRequests,
  copilotTasks,
  crmDeliveries,
  qbrDecks,
  incidents,
  experimentAssignments,
  experiments,
  healthAlerts,
  healthScores,
  lifecycleStates,
  lifecycleTransitions,
  settings,
  supportTickets,
  timelineEvents,
  type CopilotTaskModel,
  type CopilotTaskStatus,
  type ExperimentAssignmentModel,
  type ExperimentModel,
  type HealthAlertModel,
  type HealthScoreModel,
  type LifecycleSettingsDoc,
  type LifecycleStateModel,
  type LifecycleTransitionModel,
  type SupportTicketModel,
  type SupportTicketStatus,
  type TimelineEventModel,
} from './store.ts';

export type LifecycleDeps = SubgraphDeps;

/** Ids of the per-tenant singleton documents. */
const SETTINGS_ID = 'settings';
const STAGE_ID = 'stage';
/** How far back alert rules look (must exceed the 14-day red streak). */
const ALERT_LOOKBACK_DAYS = 60;
/** How many resolved tickets the knowledge search reads (newest first). */
const KNOWLEDGE_LIMIT = 500;

type Ctx = Pick<RequestContext, 'correlationId'>;

const actorOf = (ctx: RequestContext): { id: string; kind: 'user' | 'app' } => {
  const principal = requirePrincipal(ctx);
  return { id: principal.subject, kind: principal.kind };
};

const txOptions = (ctx: RequestContext, action: string) => ({ action: `lifecycle.${action}`, actor: actorOf(ctx), correlationId: ctx.correlationId });

const human = (deps: LifecycleDeps, ctx: Ctx, inputs: unknown, explanation: string): ProvenanceRecord => deps.provenance.build({ method: 'HUMAN', inputs, explanation }, ctx.correlationId);

export const connectionOf = <N>(page: { items: N[]; cursors: string[]; hasNextPage: boolean; endCursor: string | null }) => ({
  edges: page.items.map((node, i) => ({ cursor: page.cursors[i], node })),
  pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
});

// ------------------------------------------------------------------------------------- settings

export interface WeightsView extends HealthWeights {
  provenance: ProvenanceRecord;
}

const loadSettings = async (deps: LifecycleDeps, scope: TenantScope) => deps.store.collection(settings).get(scope, SETTINGS_ID);

const settingsOrDefaults = async (deps: LifecycleDeps, ctx: Ctx, scope: TenantScope): Promise<LifecycleSettingsDoc & { provenance: ProvenanceRecord; stored: boolean }> => {
  const stored = await loadSettings(deps, scope);
  if (stored) return { healthWeights: stored.healthWeights, autoResolveThreshold: stored.autoResolveThreshold, provenance: stored.provenance, stored: true };
  return {
    healthWeights: DEFAULT_WEIGHTS,
    autoResolveThreshold: DEFAULT_AUTO_RESOLVE_THRESHOLD,
    provenance: deps.provenance.build({ method: 'SYSTEM', inputs: { DEFAULT_WEIGHTS, DEFAULT_AUTO_RESOLVE_THRESHOLD }, explanation: 'Platform defaults; the organization has not set its own' }, ctx.correlationId),
    stored: false,
  };
};

const writeSettings = (tx: Transaction, existing: Awaited<ReturnType<typeof loadSettings>>, next: LifecycleSettingsDoc, provenance: ProvenanceRecord): void => {
  if (existing) tx.update(settings, existing, next, provenance);
  else tx.insert(settings, { id: SETTINGS_ID, ...next }, provenance);
};

export const healthWeights = async (deps: LifecycleDeps, ctx: RequestContext): Promise<WeightsView> => {
  const current = await settingsOrDefaults(deps, ctx, requireScope(ctx));
  return { ...current.healthWeights, provenance: current.provenance };
};

export const setHealthWeights = async (deps: LifecycleDeps, ctx: RequestContext, input: HealthWeights): Promise<WeightsView> => {
  const scope = requireScope(ctx);
  const weights = checkWeights({ usageFrequency: input.usageFrequency, errorRate: input.errorRate, csat: input.csat, openTickets: input.openTickets, engagement: input.engagement });
  const existing = await loadSettings(deps, scope);
  const provenance = human(deps, ctx, weights, 'Health score weights set by an organization administrator');
  await deps.store.transaction(scope, txOptions(ctx, 'setHealthWeights'), (tx) => {
    writeSettings(tx, existing, { healthWeights: weights, autoResolveThreshold: existing?.autoResolveThreshold ?? DEFAULT_AUTO_RESOLVE_THRESHOLD }, provenance);
    tx.emit({ type: 'health.weights.updated', topic: 'customer_success_events', subject: { typename: 'Organization', id: scope.tenantId }, payload: { weights } }, provenance);
  });
  return { ...weights, provenance };
};

export const supportSettings = async (deps: LifecycleDeps, ctx: RequestContext): Promise<{ autoResolveThreshold: number; provenance: ProvenanceRecord }> => {
  const current = await settingsOrDefaults(deps, ctx, requireScope(ctx));
  return { autoResolveThreshold: current.autoResolveThreshold, provenance: current.provenance };
};

export const setSupportSettings = async (deps: LifecycleDeps, ctx: RequestContext, input: { autoResolveThreshold: number }): Promise<{ autoResolveThreshold: number; provenance: ProvenanceRecord }> => {
  const scope = requireScope(ctx);
  const threshold = checkThreshold(input.autoResolveThreshold);
  const existing = await loadSettings(deps, scope);
  const provenance = human(deps, ctx, { autoResolveThreshold: threshold }, 'Support auto-resolve threshold set by an organization administrator');
  await deps.store.transaction(scope, txOptions(ctx, 'setSupportSettings'), (tx) => {
    writeSettings(tx, existing, { healthWeights: existing?.healthWeights ?? DEFAULT_WEIGHTS, autoResolveThreshold: threshold }, provenance);
    tx.emit({ type: 'support.settings.updated', topic: 'support_events', subject: { typename: 'Organization', id: scope.tenantId }, payload: { autoResolveThreshold: threshold } }, provenance);
  });
  return { autoResolveThreshold: threshold, provenance };
};

// ---------------------------------------------------------------------------------------- health

export interface HealthRecordResult {
  score: HealthScoreModel;
  alerts: HealthAlertModel[];
  transition: LifecycleTransitionModel | null;
  provenance: ProvenanceRecord;
}

const parseObservedAt = (value: string | null | undefined, now: Date): Date => {
  if (value === null || value === undefined) return now;
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw inputError('input.observedAt', 'observedAt is not a valid date-time', 'Give an ISO-8601 UTC instant, e.g. 2026-11-23T10:00:00Z.');
  if (at.getTime() > now.getTime() + 60_000) throw inputError('input.observedAt', 'observedAt is in the future', 'Record signals that were already observed; leave observedAt out for now.');
  return at;
};

const shiftDay = (day: string, days: number): string => new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** Writes a stage transition (state and history) and its event inside `tx`. */
const writeTransition = (
  tx: Transaction,
  scope: TenantScope,
  current: LifecycleStateModel | null,
  to: LifecycleStage,
  reason: string,
  automatic: boolean,
  provenance: ProvenanceRecord,
): LifecycleTransitionModel => {
  const at = new Date().toISOString();
  if (current) tx.update(lifecycleStates, current, { stage: to, since: at }, provenance);
  else tx.insert(lifecycleStates, { id: STAGE_ID, stage: to, since: at }, provenance);
  const transition = tx.insert(lifecycleTransitions, { from: current?.stage ?? null, to, reason, at, automatic }, provenance);
  tx.emit(
    { type: 'lifecycle.stage.changed', topic: 'customer_success_events', subject: { typename: 'Organization', id: scope.tenantId }, payload: { from: current?.stage ?? null, to, reason, automatic, transitionId: transition.id } },
    provenance,
  );
  return transition;
};

export const recordHealthSignals = async (deps: LifecycleDeps, ctx: RequestContext, input: HealthSignals & { observedAt?: string | null }): Promise<HealthRecordResult> => {
  const scope = requireScope(ctx);
  const signals = checkSignals({ usageFrequency: input.usageFrequency, errorRate: input.errorRate, csat: input.csat, openTickets: input.openTickets, engagement: input.engagement });
  const now = new Date();
  const observedAt = parseObservedAt(input.observedAt, now);
  const day = dayOf(observedAt);
  const { healthWeights: weights } = await settingsOrDefaults(deps, ctx, scope);
  const { score, band, components } = healthScore(signals, weights);
  const since = shiftDay(day, -ALERT_LOOKBACK_DAYS);
  const [existing, earlier, priorAlerts, state] = await Promise.all([
    deps.store.collection(healthScores).findOne(scope, { day }),
    deps.store.collection(healthScores).find(scope, { day: { $gte: since, $lt: day } }),
    deps.store.collection(healthAlerts).find(scope, { day: { $gte: since } }),
    deps.store.collection(lifecycleStates).get(scope, STAGE_ID),
  ]);
  const decisions = evaluateAlerts({ day, score }, earlier, priorAlerts);
  const nextStage = stageFromHealth(state?.stage ?? null, band);

  const scoreProvenance = deps.provenance.build({ method: 'STATISTICAL', inputs: { signals, weights, day }, explanation: explainScore(score, components, weights) }, ctx.correlationId);
  return deps.store.transaction(scope, txOptions(ctx, 'recordHealthSignals'), (tx) => {
    const doc = { day, observedAt: observedAt.toISOString(), score, band, signals, components, weights };
    const stored = existing ? tx.update(healthScores, existing, doc, scoreProvenance) : tx.insert(healthScores, doc, scoreProvenance);
    tx.emit({ type: 'health.score.recorded', topic: 'customer_success_events', subject: { typename: 'HealthScore', id: stored.id }, payload: { day, score, band, components } }, scoreProvenance);

    const alerts: HealthAlertModel[] = [];
    for (const decision of decisions) {
      const ruleProvenance = deps.provenance.build(
        { method: 'RULE', inputs: { today: { day, score }, earlier: earlier.map((s) => ({ day: s.day, score: s.score })), kind: decision.kind }, explanation: decision.message, confidence: 1 },
        ctx.correlationId,
      );
      const playbook = playbookFor(decision, band);
      const alertId = newId();
      const task = tx.insert(
        copilotTasks,
        {
          kind: 'HEALTH_PLAYBOOK',
          audience: 'SUCCESS',
          title: playbook.title,
          context: `${decision.message}. Today's score ${score} (${band}).`,
          recommendedActions: playbook.actions,
          priority: playbook.priority,
          status: 'OPEN',
          dueAt: new Date(now.getTime() + playbook.dueInHours * 3_600_000).toISOString(),
          subjectTypename: 'HealthAlert',
          subjectId: alertId,
        },
        ruleProvenance,
      );
      const alert = tx.insert(
        healthAlerts,
        { id: alertId, kind: decision.kind, healthScoreId: stored.id, day, score, band, dropPoints: decision.dropPoints, redDays: decision.redDays, message: decision.message, taskId: task.id },
        ruleProvenance,
      );
      tx.emit({ type: 'health.alert.raised', topic: 'customer_success_events', subject: { typename: 'HealthAlert', id: alert.id }, payload: { kind: decision.kind, score, band, message: decision.message, taskId: task.id } }, ruleProvenance);
      tx.emit({ type: 'copilot.task.created', topic: 'agent_action_events', subject: { typename: 'CopilotTask', id: task.id }, payload: { title: task.title, kind: task.kind, priority: task.priority, audience: task.audience } }, ruleProvenance);
      alerts.push(alert);
    }

    let transition: LifecycleTransitionModel | null = null;
    if (nextStage) {
      const reason = `Health score ${score} is ${band}`;
      const provenance = deps.provenance.build({ method: 'RULE', inputs: { from: state?.stage ?? null, band, score }, explanation: `${reason}: ${state?.stage} → ${nextStage} by the health band rule`, confidence: 1 }, ctx.correlationId);
      transition = writeTransition(tx, scope, state, nextStage, reason, true, provenance);
    }
    return { score: stored, alerts, transition, provenance: scoreProvenance };
  });
};

export const latestHealth = async (deps: LifecycleDeps, ctx: RequestContext, orgId: string): Promise<HealthScoreModel | null> => {
  const scope = requireScope(ctx);
  if (orgId !== scope.tenantId) return null;
  const [latest] = await deps.store.collection(healthScores).find(scope, {}, { sort: { field: 'day', direction: -1 }, limit: 1 });
  return latest ?? null;
};

export const healthHistory = async (deps: LifecycleDeps, ctx: RequestContext, orgId: string, args: { first?: number | null; after?: string | null }) => {
  const scope = requireScope(ctx);
  if (orgId !== scope.tenantId) return null;
  return connectionOf(await deps.store.collection(healthScores).page(scope, {}, { first: clampFirst(args.first), after: args.after, sort: { field: 'day', direction: -1 } }));
};

export const listHealthAlerts = async (deps: LifecycleDeps, ctx: RequestContext, args: { first?: number | null; after?: string | null }) =>
  connectionOf(await deps.store.collection(healthAlerts).page(requireScope(ctx), {}, { first: clampFirst(args.first), after: args.after }));

// ------------------------------------------------------------------------------------- lifecycle

export const currentStage = async (deps: LifecycleDeps, ctx: RequestContext, orgId: string): Promise<LifecycleStateModel | null> => {
  const scope = requireScope(ctx);
  if (orgId !== scope.tenantId) return null;
  return deps.store.collection(lifecycleStates).get(scope, STAGE_ID);
};

export const listTransitions = async (deps: LifecycleDeps, ctx: RequestContext, orgId: string, args: { first?: number | null; after?: string | null }) => {
  const scope = requireScope(ctx);
  if (orgId !== scope.tenantId) return null;
  return connectionOf(await deps.store.collection(lifecycleTransitions).page(scope, {}, { first: clampFirst(args.first), after: args.after }));
};

export const scheduleOf = async (deps: LifecycleDeps, ctx: RequestContext, state: LifecycleStateModel) => {
  const transitions = await deps.store.collection(lifecycleTransitions).find(requireScope(ctx), {}, { sort: { field: 'createdAt', direction: 1 }, limit: 1000 });
  const schedule = messagingSchedule(state.stage, transitions, new Date());
  const provenance = deps.provenance.build(
    { method: 'RULE', inputs: { stage: state.stage, transitions: transitions.map((t) => ({ from: t.from, to: t.to, at: t.at })) }, explanation: 'Trial day 1/7/13 from the trial start; month 6/11 from activation', confidence: 1 },
    ctx.correlationId,
  );
  return schedule.map((message) => ({ ...message, provenance }));
};

export const setLifecycleStage = async (deps: LifecycleDeps, ctx: RequestContext, input: { stage: LifecycleStage; reason: string }): Promise<LifecycleTransitionModel> => {
  const scope = requireScope(ctx);
  const reason = input.reason.trim();
  if (reason.length < 3 || reason.length > 500) throw inputError('input.reason', 'reason must be 3–500 characters', 'Say briefly why the stage changes, e.g. "contract signed".');
  const state = await deps.store.collection(lifecycleStates).get(scope, STAGE_ID);
  const to = checkTransition(state?.stage ?? null, input.stage);
  const provenance = human(deps, ctx, { from: state?.stage ?? null, to, reason }, `Stage set by a person: ${reason}`);
  return deps.store.transaction(scope, txOptions(ctx, 'setLifecycleStage'), (tx) => writeTransition(tx, scope, state, to, reason, false, provenance));
};

// --------------------------------------------------------------------------------------- copilot

export const listCopilotTasks = async (deps: LifecycleDeps, ctx: RequestContext, args: { status?: CopilotTaskStatus | null; first?: number | null; after?: string | null }) => {
  const filter: Filter = args.status ? { status: args.status } : {};
  return connectionOf(await deps.store.collection(copilotTasks).page(requireScope(ctx), filter, { first: clampFirst(args.first), after: args.after }));
};

export const setCopilotTaskStatus = async (deps: LifecycleDeps, ctx: RequestContext, args: { id: string; status: CopilotTaskStatus }): Promise<CopilotTaskModel> => {
  const scope = requireScope(ctx);
  if (args.status === 'OPEN') throw inputError('status', 'a task cannot be reopened', 'Choose ACCEPTED, DEFERRED or DONE.');
  const task = await deps.store.collection(copilotTasks).get(scope, args.id);
  if (!task) throw notFound('CopilotTask');
  if (task.status === 'DONE') throw inputError('id', 'the task is already done', 'Pick an open, accepted or deferred task.');
  const provenance = human(deps, ctx, { taskId: task.id, from: task.status, to: args.status }, `Task marked ${args.status} by an agent`);
  return deps.store.transaction(scope, txOptions(ctx, 'setCopilotTaskStatus'), (tx) => {
    const updated = tx.update(copilotTasks, task, { status: args.status }, provenance);
    tx.emit({ type: 'copilot.task.updated', topic: 'agent_action_events', subject: { typename: 'CopilotTask', id: task.id }, payload: { title: task.title, from: task.status, status: args.status } }, provenance);
    return updated;
  });
};

const MAX_OPEN_TASKS = 1000;

export const copilotWorkList = async (deps: LifecycleDeps, ctx: RequestContext, args: { first?: number | null }): Promise<CopilotTaskModel[]> => {
  const scope = requireScope(ctx);
  const principal = requirePrincipal(ctx);
  const first = args.first ?? 10;
  if (!Number.isInteger(first) || first < 1 || first > 50) throw inputError('first', 'first must be between 1 and 50', 'Ask for the top 1–50 tasks.');
  const audiences = principal.kind === 'app' ? audiencesFor(['MEMBER']) : audiencesFor(principal.roles);
  if (audiences.length === 0) return [];
  const open = await deps.store.collection(copilotTasks).find(scope, { status: { $in: ['OPEN', 'ACCEPTED'] }, audience: { $in: audiences } }, { sort: { field: 'dueAt', direction: 1 }, limit: MAX_OPEN_TASKS });
  return rankTasks(open, new Date()).slice(0, first);
};

// -------------------------------------------------------------------------------------- timeline

/** Topics the caller may see: by role for users; apps act for the whole organization. */
const visibleTopics = (ctx: RequestContext): string[] => {
  const principal = requirePrincipal(ctx);
  return principal.kind === 'app' ? [...TIMELINE_TOPICS] : topicsVisibleTo(principal.roles);
};

export const MAX_KINDS = 50;

/** `clientId` names the caller's own organization or nothing: the tenant comes from the token only. */
const requireOwnClient = (ctx: RequestContext, clientId: string | null | undefined): void => {
  if (clientId === null || clientId === undefined) return;
  if (clientId !== requireScope(ctx).tenantId) {
    throw forbidden('clientId is not the organization of your token', 'Leave clientId out, or pass your own organization id; platform staff act as an assigned organization first (actAsOrganization).');
  }
};

export const listTimeline = async (deps: LifecycleDeps, ctx: RequestContext, args: { clientId?: string | null; kinds?: readonly string[] | null; first?: number | null; after?: string | null }) => {
  const scope = requireScope(ctx);
  requireOwnClient(ctx, args.clientId);
  const first = clampFirst(args.first);
  if (args.kinds && args.kinds.length > MAX_KINDS) throw inputError('kinds', `at most ${MAX_KINDS} kinds`, 'Ask for fewer event types, or leave kinds out for all.');
  const filter: Filter = { topic: { $in: visibleTopics(ctx) } };
  if (args.kinds && args.kinds.length > 0) filter.kind = { $in: [...args.kinds] };
  return connectionOf(await deps.store.collection(timelineEvents).page(scope, filter, { first, after: args.after, sort: { field: 'occurredAt', direction: -1 } }));
};

const DIGEST_LIMIT = 1000;

export const timelineDigest = async (deps: LifecycleDeps, ctx: RequestContext, args: { since: string | Date; highlights?: number | null }) => {
  const scope = requireScope(ctx);
  const since = new Date(args.since);
  if (Number.isNaN(since.getTime()) || since.getTime() > Date.now()) throw inputError('since', 'since must be a past instant', 'Pass when you last looked, e.g. your last sign-out time.');
  const limit = args.highlights ?? 5;
  if (!Number.isInteger(limit) || limit < 1 || limit > 20) throw inputError('highlights', 'highlights must be between 1 and 20', 'Ask for 1–20 highlights.');
  const topics = visibleTopics(ctx);
  const events = await deps.store.collection(timelineEvents).find(scope, { topic: { $in: topics }, occurredAt: { $gt: since.toISOString() } }, { sort: { field: 'occurredAt', direction: -1 }, limit: DIGEST_LIMIT });
  const digest = digestOf(events, limit);
  const provenance = deps.provenance.build(
    { method: 'RULE', inputs: { since: since.toISOString(), topics, eventIds: events.map((e) => e.id) }, explanation: `Digest of ${events.length} visible timeline events: counted by severity, highlights critical first`, confidence: 1 },
    ctx.correlationId,
  );
  return { since: since.toISOString(), ...digest, provenance };
};

/** A timeline event only when the caller's roles may see its topic. */
export const visibleTimelineEvent = (ctx: RequestContext, event: TimelineEventModel | null): TimelineEventModel | null => (event && visibleTopics(ctx).includes(event.topic) ? event : null);

/**
 * `Query.timelineEvent`: null when the id is unknown in the caller's organization (the subscription
 * refetch retries that: the read model may lag the bus), FORBIDDEN when it exists but the caller's
 * roles may not see its family (the refetch stops at once).
 */
export const timelineEventFor = (ctx: RequestContext, event: TimelineEventModel | null): TimelineEventModel | null => {
  if (!event) return null;
  if (visibleTopics(ctx).includes(event.topic)) return event;
  throw forbidden('Your roles may not see this timeline event', `Events of ${event.topic} are not in your role's timeline view.`);
};

/**
 * `TimelineEvent.subject`: a reference the gateway resolves in the owning subgraph, or this
 * subgraph's own entity loaded in the caller's scope; null for subjects that are not entities.
 */
export const subjectOf = async (deps: LifecycleDeps, ctx: RequestContext, event: TimelineEventModel) => {
  const { subjectTypename: typename, subjectId: id } = event;
  if (isReferencedSubjectType(typename)) return { __typename: typename, id };
  if (!isOwnSubjectType(typename)) return null;
  const tagged = <T extends object>(entity: T | null) => (entity ? { ...entity, __typename: typename } : null);
  switch (typename) {
    case 'HealthAlert':
      return tagged(await loaderOf(ctx, deps.store, healthAlerts).load(id));
    case 'HealthScore':
      return tagged(await loaderOf(ctx, deps.store, healthScores).load(id));
    case 'CopilotTask':
      return tagged(await loaderOf(ctx, deps.store, copilotTasks).load(id));
    case 'SupportTicket':
      return tagged(await loaderOf(ctx, deps.store, supportTickets).load(id));
    case 'Experiment':
      return tagged(await loaderOf(ctx, deps.store, experiments).load(id));
    case 'CrmDelivery':
      return tagged(await loaderOf(ctx, deps.store, crmDeliveries).load(id));
    case 'MonitoringIncident':
      return tagged(await loaderOf(ctx, deps.store, incidents).load(id));
    case 'ApprovalRequest':
      return tagged(await loaderOf(ctx, deps.store, approvalRequests).load(id));
    case 'QbrDeck':
      return tagged(await loaderOf(ctx, deps.store, qbrDecks).load(id));
  }
};

/** The consumer's handler: one TimelineEvent per domain event (the audit trail excluded). */
export const recordTimelineEvent = (event: EventEnvelope, tx: Transaction): void => {
  if (!TIMELINE_TOPICS.includes(event.topic)) return;
  const payload = event.payload ?? {};
  tx.insert(
    timelineEvents,
    {
      id: event.id,
      kind: event.type,
      topic: event.topic,
      occurredAt: event.occurredAt,
      summary: summarizeEvent(event.type, payload),
      subjectTypename: event.subject.typename,
      subjectId: event.subject.id,
      actorId: event.actor.id,
      actorKind: event.actor.kind,
      severity: severityOf(event.topic, event.type, payload),
      correlationId: event.correlationId,
    },
    event.provenance,
  );
};

// --------------------------------------------------------------------------------------- support

const ticketText = (t: { subject: string; body: string }): string => `${t.subject}\n${t.body}`;

export const openTicket = async (deps: LifecycleDeps, ctx: RequestContext, input: { channel: SupportChannel; subject: string; body: string }): Promise<SupportTicketModel> => {
  const scope = requireScope(ctx);
  const principal = requirePrincipal(ctx);
  const { subject, body } = checkTicket(input);
  const text = ticketText({ subject, body });
  const [current, completion, resolved] = await Promise.all([
    settingsOrDefaults(deps, ctx, scope),
    deps.ai.complete(scope, { task: 'classify', prompt: text, labels: ['low', 'medium', 'high'] }),
    deps.store.collection(supportTickets).find(scope, { status: 'RESOLVED', resolution: { $ne: null } }, { sort: { field: 'createdAt', direction: -1 }, limit: KNOWLEDGE_LIMIT }),
  ]);
  const rule = urgencyByRules(text);
  const { urgency, usedModel } = combineUrgency(rule.urgency, { label: completion.label, confidence: completion.confidence });
  const matches = rankSimilar(text, resolved.map((t) => ({ id: t.id, text: ticketText(t) })));
  const best = matches[0] ?? null;
  const matched = best ? (resolved.find((t) => t.id === best.id) ?? null) : null;
  const confidence = best?.similarity ?? 0;
  const threshold = current.autoResolveThreshold;
  const decision = decideResolution(confidence, threshold);
  const openedAt = new Date();
  const due = slaDueAt(openedAt, urgency);

  const urgencyWhy = usedModel
    ? `urgency ${urgency} raised by ${completion.model} (${completion.method}, confidence ${completion.confidence.toFixed(2)}${completion.fallbackReason ? `, fallback: ${completion.fallbackReason}` : ''})`
    : `urgency ${urgency} by lexicon${rule.matched.length ? ` (${rule.matched.join(', ')})` : ''}; ${completion.model} said ${completion.label ?? 'nothing'}${completion.fallbackReason ? ` (fallback: ${completion.fallbackReason})` : ''}`;
  const matchWhy = matched ? `best match ticket ${matched.id} at TF-IDF cosine ${confidence.toFixed(4)}` : 'no similar resolved ticket';
  const explanation = decision === 'RESOLVED' ? `Resolved autonomously: ${matchWhy} ≥ threshold ${threshold}; ${urgencyWhy}` : `Escalated: ${matchWhy} below threshold ${threshold}; ${urgencyWhy}`;
  const provenance = deps.provenance.build(
    {
      method: 'STATISTICAL',
      inputs: { subject, body, resolvedTicketIds: resolved.map((t) => t.id), threshold, promptDigest: completion.promptDigest },
      explanation,
      confidence,
      model: usedModel ? completion.model : 'tfidf-cosine',
      modelVersion: usedModel ? completion.modelVersion : '1',
    },
    ctx.correlationId,
  );

  return deps.store.transaction(scope, txOptions(ctx, 'openTicket'), (tx) => {
    const ticketId = newId();
    let taskId: string | null = null;
    const escalated = decision === 'ESCALATED';
    const escalationReason = escalated ? `Confidence ${confidence.toFixed(2)} below ${threshold}: ${matchWhy}` : null;
    if (escalated) {
      const task = tx.insert(
        copilotTasks,
        {
          kind: 'RESPOND_TO_ESCALATION',
          audience: 'SUPPORT',
          title: `Escalated ${urgency} ticket: ${subject.slice(0, 120)}`,
          context: `${input.channel} ticket opened ${openedAt.toISOString()}, SLA ${SLA_HOURS[urgency]}h. ${escalationReason}.${matched ? ` Closest past resolution: ${matched.resolution}` : ''}`,
          recommendedActions: [
            'Read the ticket and the closest past resolution',
            ...(matched ? [`Check whether the fix of ticket ${matched.id} applies`] : []),
            'Resolve with resolveTicket and document the fix for reuse',
          ],
          priority: urgency,
          status: 'OPEN',
          dueAt: due.toISOString(),
          subjectTypename: 'SupportTicket',
          subjectId: ticketId,
        },
        provenance,
      );
      taskId = task.id;
    }
    const at = openedAt.toISOString();
    const ticket = tx.insert(
      supportTickets,
      {
        id: ticketId,
        channel: input.channel,
        subject,
        body,
        urgency,
        status: decision,
        openedBy: principal.subject,
        openedAt: at,
        slaDueAt: due.toISOString(),
        attemptedResolution: matched?.resolution ?? null,
        confidence,
        matchedTicketId: matched?.id ?? null,
        autoResolved: !escalated,
        escalated,
        escalationReason,
        escalationTaskId: taskId,
        resolution: escalated ? null : (matched?.resolution ?? null),
        resolvedBy: null,
        resolvedAt: escalated ? null : at,
      },
      provenance,
    );
    const subjectRef = { typename: 'SupportTicket', id: ticket.id };
    tx.emit({ type: 'support.ticket.opened', topic: 'support_events', subject: subjectRef, payload: { subject, channel: input.channel, urgency } }, provenance);
    if (escalated) {
      tx.emit(
        {
          type: 'support.ticket.escalated',
          topic: 'escalation_events',
          subject: subjectRef,
          payload: { subject, channel: input.channel, urgency, confidence, threshold, reason: escalationReason, matchedTicketId: matched?.id ?? null, attemptedResolution: matched?.resolution ?? null, taskId, slaDueAt: ticket.slaDueAt },
        },
        provenance,
      );
      tx.emit({ type: 'copilot.task.created', topic: 'agent_action_events', subject: { typename: 'CopilotTask', id: taskId as string }, payload: { title: `Escalated ${urgency} ticket: ${subject.slice(0, 120)}`, kind: 'RESPOND_TO_ESCALATION', priority: urgency, audience: 'SUPPORT' } }, provenance);
    } else {
      tx.emit({ type: 'support.ticket.resolved', topic: 'support_events', subject: subjectRef, payload: { subject, urgency, autoResolved: true, confidence, matchedTicketId: matched?.id ?? null } }, provenance);
    }
    return ticket;
  });
};

export const resolveTicket = async (deps: LifecycleDeps, ctx: RequestContext, args: { id: string; resolution: string }): Promise<SupportTicketModel> => {
  const scope = requireScope(ctx);
  const principal = requirePrincipal(ctx);
  const resolution = checkResolution(args.resolution);
  const ticket = await deps.store.collection(supportTickets).get(scope, args.id);
  if (!ticket) throw notFound('SupportTicket');
  if (ticket.status === 'RESOLVED') throw inputError('id', 'the ticket is already resolved', 'Pick an escalated ticket (supportTickets(status: ESCALATED)).');
  const task = ticket.escalationTaskId ? await deps.store.collection(copilotTasks).get(scope, ticket.escalationTaskId) : null;
  const provenance = human(deps, ctx, { ticketId: ticket.id, resolution }, 'Resolved by a Support Specialist; documented for reuse by the support engine');
  return deps.store.transaction(scope, txOptions(ctx, 'resolveTicket'), (tx) => {
    const updated = tx.update(supportTickets, ticket, { status: 'RESOLVED' as SupportTicketStatus, resolution, resolvedBy: principal.subject, resolvedAt: new Date().toISOString() }, provenance);
    if (task && task.status !== 'DONE') {
      tx.update(copilotTasks, task, { status: 'DONE' }, provenance);
      tx.emit({ type: 'copilot.task.updated', topic: 'agent_action_events', subject: { typename: 'CopilotTask', id: task.id }, payload: { title: task.title, from: task.status, status: 'DONE' } }, provenance);
    }
    tx.emit({ type: 'support.ticket.resolved', topic: 'support_events', subject: { typename: 'SupportTicket', id: ticket.id }, payload: { subject: ticket.subject, urgency: ticket.urgency, autoResolved: false } }, provenance);
    return updated;
  });
};

export const listTickets = async (deps: LifecycleDeps, ctx: RequestContext, args: { status?: SupportTicketStatus | null; first?: number | null; after?: string | null }) => {
  const scope = requireScope(ctx);
  const filter: Filter = args.status ? { status: args.status } : {};
  const reader = deps.store.collection(supportTickets);
  const [page, totalCount] = await Promise.all([reader.page(scope, filter, { first: clampFirst(args.first), after: args.after }), reader.count(scope, filter)]);
  return { ...connectionOf(page), totalCount };
};

export const supportStats = async (deps: LifecycleDeps, ctx: RequestContext) => {
  const scope = requireScope(ctx);
  const reader = deps.store.collection(supportTickets);
  const [total, autoResolved, escalated, openEscalations] = await Promise.all([
    reader.count(scope),
    reader.count(scope, { autoResolved: true }),
    reader.count(scope, { escalated: true }),
    reader.count(scope, { status: 'ESCALATED' }),
  ]);
  const rates = supportRates({ total, autoResolved, escalated });
  const provenance = deps.provenance.build(
    { method: 'STATISTICAL', inputs: { total, autoResolved, escalated, openEscalations }, explanation: `Rates over ${total} tickets: ${autoResolved} resolved autonomously, ${escalated} escalated` },
    ctx.correlationId,
  );
  return { total, autoResolved, escalated, openEscalations, ...rates, provenance };
};

export const healthComponentsOf = (score: HealthScoreModel) => {
  const total = COMPONENTS.reduce((sum, name) => sum + score.weights[name], 0);
  return COMPONENTS.map((name) => ({ name, raw: score.signals[name], normalized: score.components[name], weight: Math.round((score.weights[name] / total) * 10_000) / 10_000, provenance: score.provenance }));
};

// ----------------------------------------------------------------------------------- experiments

const DEFAULT_MIN_SHARE = 0.01;
/** Monte Carlo draws for probabilityBest: fewer for very wide experiments to bound the cost. */
const drawsFor = (variants: number): number => (variants > 20 ? 500 : 2000);

/** A cryptographically seeded random source for live assignments. */
const liveRandom = (): Random => seededRandom(randomInt(0, 2 ** 32 - 1));

const checkSeed = (seed: number | null | undefined): number | null => {
  if (seed === null || seed === undefined) return null;
  if (!Number.isInteger(seed) || seed < 0) throw inputError('input.seed', 'seed must be a non-negative integer', 'Leave seed out for live traffic; set it only for reproducible simulations and audits.');
  return seed;
};

export const createExperiment = async (
  deps: LifecycleDeps,
  ctx: RequestContext,
  input: { name: string; variants: ReadonlyArray<{ key: string; content: string }>; minShare?: number | null; seed?: number | null },
): Promise<ExperimentModel> => {
  const scope = requireScope(ctx);
  const checked = checkExperiment({ name: input.name, variants: input.variants, minShare: input.minShare ?? DEFAULT_MIN_SHARE });
  const seed = checkSeed(input.seed);
  const provenance = human(deps, ctx, checked, `Experiment with ${checked.variants.length} variants created by a person`);
  return deps.store.transaction(scope, txOptions(ctx, 'createExperiment'), (tx) => {
    const experiment = tx.insert(experiments, { name: checked.name, minShare: checked.minShare, seed, variants: checked.variants.map((v) => ({ ...v, assigned: 0, outcomes: 0, conversions: 0 })) }, provenance);
    tx.emit({ type: 'experiment.created', topic: 'communication_events', subject: { typename: 'Experiment', id: experiment.id }, payload: { name: checked.name, variants: checked.variants.length, minShare: checked.minShare } }, provenance);
    return experiment;
  });
};

const checkRecipient = (recipientId: string): string => {
  const id = recipientId.trim();
  if (id.length < 1 || id.length > 200) throw inputError('recipientId', 'recipientId must be 1–200 characters', 'Pass the contact or end-user id from your own system.');
  return id;
};

export const assignVariant = async (deps: LifecycleDeps, ctx: RequestContext, args: { experimentId: string; recipientId: string }, override?: Random): Promise<ExperimentAssignmentModel> => {
  const scope = requireScope(ctx);
  const recipientId = checkRecipient(args.recipientId);
  const experiment = await deps.store.collection(experiments).get(scope, args.experimentId);
  if (!experiment) throw notFound('Experiment');
  const existing = await deps.store.collection(experimentAssignments).findOne(scope, { experimentId: experiment.id, recipientId });
  if (existing) return existing;
  const arms = experiment.variants.map((v) => ({ impressions: v.outcomes, conversions: v.conversions }));
  const seeded = experiment.seed !== null && experiment.seed !== undefined;
  const random = override ?? (seeded ? seededRandom(seedOf(`${experiment.seed}:${experiment.version}:${recipientId}`)) : liveRandom());
  const { index, explored } = chooseVariant(arms, experiment.minShare, random);
  const chosen = experiment.variants[index];
  const provenance = deps.provenance.build(
    {
      method: 'STATISTICAL',
      inputs: { experimentId: experiment.id, version: experiment.version, recipientId, arms },
      explanation: `${explored ? `Variant ${chosen.key} by uniform exploration (minimum share ${experiment.minShare})` : `Variant ${chosen.key} by Thompson sampling over ${arms.length} Beta posteriors`}${seeded ? ` (seeded draw, seed ${experiment.seed})` : ''}`,
      model: 'thompson-beta',
      modelVersion: '1',
    },
    ctx.correlationId,
  );
  return deps.store.transaction(scope, txOptions(ctx, 'assignVariant'), (tx) => {
    tx.update(experiments, experiment, { variants: experiment.variants.map((v, i) => (i === index ? { ...v, assigned: v.assigned + 1 } : v)) });
    const assignment = tx.insert(experimentAssignments, { experimentId: experiment.id, recipientId, variantKey: chosen.key, explored, converted: null, outcomeAt: null }, provenance);
    tx.emit({ type: 'experiment.variant.assigned', topic: 'communication_events', subject: { typename: 'ExperimentAssignment', id: assignment.id }, payload: { experimentId: experiment.id, variantKey: chosen.key, explored } }, provenance);
    return assignment;
  });
};

export const recordExperimentOutcome = async (deps: LifecycleDeps, ctx: RequestContext, args: { experimentId: string; recipientId: string; converted: boolean }): Promise<ExperimentAssignmentModel> => {
  const scope = requireScope(ctx);
  const recipientId = checkRecipient(args.recipientId);
  const experiment = await deps.store.collection(experiments).get(scope, args.experimentId);
  if (!experiment) throw notFound('Experiment');
  const assignment = await deps.store.collection(experimentAssignments).findOne(scope, { experimentId: experiment.id, recipientId });
  if (!assignment) throw inputError('recipientId', 'the recipient has no assignment in this experiment', 'Call assignVariant for the recipient before recording its outcome.');
  if (assignment.converted !== null) throw inputError('recipientId', 'the outcome of this recipient is already recorded', 'Record each recipient\'s outcome once.');
  const provenance = human(deps, ctx, { assignmentId: assignment.id, converted: args.converted }, `Outcome recorded: ${args.converted ? 'converted' : 'did not convert'}`);
  return deps.store.transaction(scope, txOptions(ctx, 'recordExperimentOutcome'), (tx) => {
    tx.update(experiments, experiment, {
      variants: experiment.variants.map((v) => (v.key === assignment.variantKey ? { ...v, outcomes: v.outcomes + 1, conversions: v.conversions + (args.converted ? 1 : 0) } : v)),
    });
    const updated = tx.update(experimentAssignments, assignment, { converted: args.converted, outcomeAt: new Date().toISOString() });
    tx.emit({ type: 'experiment.outcome.recorded', topic: 'communication_events', subject: { typename: 'Experiment', id: experiment.id }, payload: { name: experiment.name, variantKey: assignment.variantKey, converted: args.converted } }, provenance);
    return updated;
  });
};

export const listExperiments = async (deps: LifecycleDeps, ctx: RequestContext, args: { first?: number | null; after?: string | null }) =>
  connectionOf(await deps.store.collection(experiments).page(requireScope(ctx), {}, { first: clampFirst(args.first), after: args.after }));

/** Each variant's posterior and probability of being best (Monte Carlo, seeded by the experiment's id and version, so a read is reproducible). */
export const variantsOf = (deps: LifecycleDeps, ctx: Ctx, experiment: ExperimentModel) => {
  const arms = experiment.variants.map((v) => ({ impressions: v.outcomes, conversions: v.conversions }));
  const draws = drawsFor(arms.length);
  const seed = seedOf(`${experiment.id}:${experiment.version}`);
  const best = probabilityBest(arms, draws, seededRandom(seed));
  const provenance = deps.provenance.build(
    { method: 'STATISTICAL', inputs: { arms, draws, seed }, explanation: `Beta(1 + conversions, 1 + outcomes − conversions) posteriors; probability best from ${draws} seeded Monte Carlo draws`, model: 'thompson-beta', modelVersion: '1', computedAt: new Date(experiment.updatedAt) },
    ctx.correlationId,
  );
  return experiment.variants.map((v, i) => {
    const posterior = posteriorOf(arms[i]);
    return { key: v.key, content: v.content, assigned: v.assigned, outcomes: v.outcomes, conversions: v.conversions, alpha: posterior.alpha, beta: posterior.beta, posteriorMean: Math.round(posterior.mean * 10_000) / 10_000, probabilityBest: best[i], provenance };
  });
};

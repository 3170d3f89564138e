import { PLATFORM_TENANT_ID, systemScope, type TenantScope } from '../../../platform/context.ts';
import { DomainError } from '../../../platform/errors.ts';
import type { EventEnvelope } from '../../../platform/events/envelope.ts';
import { newId } from '../../../platform/ids.ts';
import type { SubgraphDeps } from '../../../platform/server.ts';
import type { Transaction } from '../../../platform/store/port.ts';
import { applyMapping, CRM_MAX_ATTEMPTS, decideAfterAttempt, type CrmField, type CrmFieldValue, type CrmOperation } from '../domain/crm.ts';
import { crmDeliveries, crmDue, crmOpportunities, crmSettings, type CrmDeliveryDoc, type CrmDeliveryModel, type CrmSettingsModel } from '../store.ts';
import type { CrmConnector } from './connector.ts';
import { createDueLoop } from '../due-loop.ts';

/** Outbound CRM sync: presales events become persisted deliveries; a scheduler tick attempts the due ones. */

export const CRM_SETTINGS_ID = 'crm';
/** The consumer group that turns presales events into CRM deliveries. */
export const CRM_CONSUMER = 'lifecycle-crm-sync';
export const CRM_SOURCE_TOPICS = ['research_events', 'demo_events', 'sales_doc_events'] as const;
export const CRM_SOURCE_TYPES = ['prospect.created', 'prospect.stage_changed', 'demo.generated', 'demo.approved', 'sales_doc.generated', 'sales_doc.sent', 'sales_doc.opened', 'sales_doc.signed', 'sales_doc.declined', 'sales_doc.expired'] as const;
/** How long a due-index entry outlives the enqueue that wrote it (a slow commit still finds it). */
const HOLD_MS = 60_000;
/** While sync is disabled, pending deliveries are looked at again this often. */
const DISABLED_RECHECK_MS = 60_000;
/** While a due entry is held but finds nothing pending, it is looked at again this often. */
const EMPTY_RECHECK_MS = 200;
const SYSTEM_ACTOR = { id: CRM_CONSUMER, kind: 'system' as const };

export type CrmConnectorFactory = (settings: CrmSettingsModel) => CrmConnector;

const platformScope = (): TenantScope => systemScope(PLATFORM_TENANT_ID, 'CRM sync due index');

const isStoreRace = (error: unknown): boolean => error instanceof DomainError && (error.code === 'CONFLICT' || error.code === 'ALREADY_EXISTS' || error.code === 'NOT_FOUND');

/**
 * Records in the platform-scoped due index that `tenantId` has a delivery due at `dueAt`. Written
 * BEFORE the delivery itself, so a crash in between leaves at worst an entry that points at nothing
 * (dropped after its hold), never a delivery the scheduler cannot find.
 */
export const markDue = async (deps: SubgraphDeps, tenantId: string, dueAt: Date, correlationId: string): Promise<void> => {
  const scope = platformScope();
  const reader = deps.store.collection(crmDue);
  const due = dueAt.toISOString();
  const hold = new Date(Date.now() + HOLD_MS).toISOString();
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const existing = await reader.get(scope, tenantId);
    try {
      await deps.store.transaction(scope, { action: 'lifecycle.crmDue', actor: SYSTEM_ACTOR, correlationId, audit: false }, (tx) => {
        if (!existing) {
          tx.insert(crmDue, { id: tenantId, dueAt: due, holdUntil: hold }, deps.provenance.build({ method: 'SYSTEM', inputs: { tenantId, due }, explanation: 'CRM delivery due' }, correlationId));
        } else if (existing.dueAt > due || existing.holdUntil < hold) {
          tx.update(crmDue, existing, { dueAt: existing.dueAt < due ? existing.dueAt : due, holdUntil: hold });
        }
      });
      return;
    } catch (error) {
      if (!isStoreRace(error)) throw error;
    }
  }
  throw new DomainError('CONFLICT', 'The CRM schedule is busy', { hint: 'Try again in a moment.', retryAfterSeconds: 1 });
};

const str = (value: unknown): string | null => (typeof value === 'string' && value.trim() ? value.trim() : null);

const ACTIVITY_TEXT: Record<string, string> = {
  'demo.generated': 'Demo generated',
  'demo.approved': 'Demo approved by the client',
  'sales_doc.generated': 'Sales document generated',
  'sales_doc.sent': 'Sales document sent for signature',
  'sales_doc.opened': 'Sales document opened',
  'sales_doc.signed': 'Sales document signed',
  'sales_doc.declined': 'Sales document declined',
  'sales_doc.expired': 'Sales document expired',
};

const fieldsOf = (canonical: Record<string, CrmFieldValue>): CrmField[] => Object.entries(canonical).map(([name, value]) => ({ name, value }));

/**
 * The consumer: keeps the opportunity read model (name, stage) current and, when CRM sync is
 * enabled, queues one delivery per event: prospect creation and stage changes upsert the
 * opportunity (a stage change carries the previous stage as precondition); demos and sales
 * documents log an activity. A stage change older than the one already known goes straight to the
 * manual review queue (CONFLICT) instead of overwriting the newer stage in the CRM.
 */
export const queueCrmDelivery = async (deps: SubgraphDeps, event: EventEnvelope, tx: Transaction, kick: () => void): Promise<void> => {
  const scope = systemScope(event.tenantId, 'CRM sync consumer');
  const settings = await deps.store.collection(crmSettings).get(scope, CRM_SETTINGS_ID);
  const payload = event.payload;
  const provenance = deps.provenance.build({ method: 'SYSTEM', inputs: { eventId: event.id, type: event.type }, explanation: `Queued for CRM sync from ${event.type}` }, event.correlationId);
  let operation: CrmOperation;
  let recordKey: string;
  let canonical: Record<string, CrmFieldValue>;
  let precondition: CrmField | null = null;
  let conflictReason: string | null = null;

  if (event.type === 'prospect.created' || event.type === 'prospect.stage_changed') {
    recordKey = event.subject.id;
    const opportunity = await deps.store.collection(crmOpportunities).get(scope, recordKey);
    const created = event.type === 'prospect.created';
    const stage = created ? 'NEW' : (str(payload.to) ?? 'NEW');
    const from = created ? null : str(payload.from);
    const name = created ? str(payload.companyName) : (opportunity?.name ?? null);
    if (opportunity && opportunity.stageChangedAt > event.occurredAt) {
      conflictReason = `Out of order: this change to ${stage} (${event.occurredAt}) is older than the known change to ${opportunity.stage} (${opportunity.stageChangedAt}); pushing it would overwrite the newer stage`;
    } else if (opportunity) {
      tx.update(crmOpportunities, opportunity, { stage, stageChangedAt: event.occurredAt, ...(name ? { name } : {}) }, provenance);
    } else {
      tx.insert(crmOpportunities, { id: recordKey, name, stage, stageChangedAt: event.occurredAt }, provenance);
    }
    operation = 'UPSERT_OPPORTUNITY';
    canonical = { opportunityId: recordKey, name, stage, previousStage: from, changedAt: event.occurredAt };
    precondition = from ? { name: 'stage', value: from } : null;
  } else {
    const prospectId = str(payload.prospectId);
    if (!prospectId) return;
    operation = 'LOG_ACTIVITY';
    recordKey = prospectId;
    const kind = str(payload.kind);
    canonical = { opportunityId: prospectId, activityType: event.type, description: `${ACTIVITY_TEXT[event.type] ?? event.type}${kind ? ` (${kind})` : ''}`, occurredAt: str(payload.at) ?? event.occurredAt };
  }
  if (!settings?.enabled) return;

  const now = new Date();
  const id = newId();
  if (!conflictReason) await markDue(deps, event.tenantId, now, event.correlationId);
  const doc: CrmDeliveryDoc = {
    operation,
    recordKey,
    sourceEventId: event.id,
    sourceEventType: event.type,
    sourceOccurredAt: event.occurredAt,
    fields: fieldsOf(canonical),
    precondition,
    force: false,
    status: conflictReason ? 'CONFLICT' : 'PENDING',
    attempts: 0,
    maxAttempts: CRM_MAX_ATTEMPTS,
    nextAttemptAt: conflictReason ? null : now.toISOString(),
    lastError: null,
    attemptLog: [],
    deliveredAt: null,
    deadLetteredAt: null,
    conflictReason,
    conflictRemote: null,
    replays: 0,
  };
  tx.insert(crmDeliveries, { id, ...doc }, provenance);
  const subject = { typename: 'CrmDelivery', id };
  if (conflictReason) tx.emit({ type: 'crm.sync.conflict', topic: 'crm_events', subject, payload: { operation, recordKey, reason: conflictReason } }, provenance);
  else tx.emit({ type: 'crm.sync.queued', topic: 'crm_events', subject, payload: { operation, recordKey, source: event.type } }, provenance);
  if (!conflictReason) kick();
};

/** One attempt of one delivery through the organization's connector; writes the outcome and its event. */
const attemptDelivery = async (deps: SubgraphDeps, scope: TenantScope, delivery: CrmDeliveryModel, settings: CrmSettingsModel, connector: CrmConnector, now: () => Date): Promise<CrmDeliveryModel | null> => {
  const fields = applyMapping(Object.fromEntries(delivery.fields.map((f) => [f.name, f.value])), settings.fieldMapping, settings.stageMapping);
  const precondition = delivery.force || !delivery.precondition ? null : (applyMapping({ [delivery.precondition.name]: delivery.precondition.value }, settings.fieldMapping, settings.stageMapping)[0] ?? null);
  const result = await connector.send({ operation: delivery.operation, organizationId: scope.tenantId, recordKey: delivery.recordKey, idempotencyKey: delivery.id, fields, precondition, force: delivery.force });
  const at = now();
  const decision = decideAfterAttempt(delivery.attempts, result.outcome, settings.backoffBaseMs, at, delivery.maxAttempts);
  const correlationId = newId();
  const provenance = deps.provenance.build(
    {
      method: 'SYSTEM',
      inputs: { deliveryId: delivery.id, attempt: decision.attempts, outcome: result.outcome, httpStatus: result.httpStatus, connector: connector.kind },
      explanation: `CRM ${connector.kind} attempt ${decision.attempts}/${delivery.maxAttempts}: ${result.outcome} → ${decision.status}${decision.nextAttemptAt ? `, next at ${decision.nextAttemptAt}` : ''}`,
    },
    correlationId,
  );
  const patch: Partial<CrmDeliveryDoc> = {
    status: decision.status,
    attempts: decision.attempts,
    nextAttemptAt: decision.nextAttemptAt,
    lastError: result.outcome === 'DELIVERED' ? null : result.detail,
    attemptLog: [...delivery.attemptLog, { at: at.toISOString(), outcome: result.outcome, detail: result.detail, httpStatus: result.httpStatus }],
    ...(decision.status === 'DELIVERED' ? { deliveredAt: at.toISOString() } : {}),
    ...(decision.status === 'DEAD_LETTER' ? { deadLetteredAt: at.toISOString() } : {}),
    ...(decision.status === 'CONFLICT' ? { conflictReason: `The CRM refused the change: ${result.detail}`, conflictRemote: result.remote } : {}),
  };
  try {
    return await deps.store.transaction(scope, { action: 'lifecycle.crmAttempt', actor: SYSTEM_ACTOR, correlationId, audit: false }, (tx) => {
      const updated = tx.update(crmDeliveries, delivery, patch, provenance);
      const subject = { typename: 'CrmDelivery', id: delivery.id };
      const base = { operation: delivery.operation, recordKey: delivery.recordKey, attempt: decision.attempts, maxAttempts: delivery.maxAttempts };
      if (decision.status === 'DELIVERED') tx.emit({ type: 'crm.sync.delivered', topic: 'crm_events', subject, payload: base }, provenance);
      else if (decision.status === 'PENDING') tx.emit({ type: 'crm.sync.attempt_failed', topic: 'crm_events', subject, payload: { ...base, error: result.detail, nextAttemptAt: decision.nextAttemptAt } }, provenance);
      else if (decision.status === 'DEAD_LETTER') tx.emit({ type: 'crm.sync.dead_lettered', topic: 'crm_events', subject, payload: { ...base, error: result.detail } }, provenance);
      else tx.emit({ type: 'crm.sync.conflict', topic: 'crm_events', subject, payload: { ...base, reason: patch.conflictReason ?? null } }, provenance);
      return updated;
    });
  } catch (error) {
    // Replayed or resolved by a person while the attempt was in flight: their write wins.
    if (isStoreRace(error)) return null;
    throw error;
  }
};

export interface CrmScheduler {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Asks for a tick soon (after an enqueue or a replay). */
  kick(): void;
  /** One pass over every tenant with deliveries due; resolves with the number of attempts made. */
  tick(): Promise<number>;
}

/**
 * The scheduler: on each tick it reads the due index (platform scope), attempts each tenant's due
 * deliveries in order (one record's deliveries never overtake each other), then re-indexes the
 * tenant's next due time. The next tick is timed for the earliest due entry (at most `pollMs`
 * away), so retries resume after a restart from the persisted attempts and times alone.
 */
export const createCrmScheduler = (deps: SubgraphDeps, connectorFor: CrmConnectorFactory, options: { pollMs?: number; now?: () => Date } = {}): CrmScheduler => {
  const pollMs = options.pollMs ?? 1000;
  const now = options.now ?? (() => new Date());

  const processTenant = async (tenantId: string): Promise<number> => {
    const scope = systemScope(tenantId, 'CRM sync scheduler');
    const reader = deps.store.collection(crmDeliveries);
    const settings = await deps.store.collection(crmSettings).get(scope, CRM_SETTINGS_ID);
    const pending = await reader.find(scope, { status: 'PENDING' }, { sort: { field: 'createdAt', direction: 1 }, limit: 1000 });
    const waiting = new Set<string>();
    let attempts = 0;
    for (const delivery of pending) {
      if (loop.stopped()) break;
      if (waiting.has(delivery.recordKey)) continue;
      if (!settings?.enabled || (delivery.nextAttemptAt ?? '') > now().toISOString()) {
        waiting.add(delivery.recordKey);
        continue;
      }
      const updated = await attemptDelivery(deps, scope, delivery, settings, connectorFor(settings), now);
      attempts += 1;
      if (updated?.status !== 'DELIVERED') waiting.add(delivery.recordKey);
    }
    // The tenant's next due time: per record, its oldest pending delivery decides.
    const left = await reader.find(scope, { status: 'PENDING' }, { sort: { field: 'createdAt', direction: 1 }, limit: 1000 });
    const heads = new Map<string, string>();
    for (const d of left) if (!heads.has(d.recordKey)) heads.set(d.recordKey, d.nextAttemptAt ?? now().toISOString());
    let next = heads.size ? [...heads.values()].sort()[0] : null;
    if (next && !settings?.enabled) next = new Date(now().getTime() + DISABLED_RECHECK_MS).toISOString();
    await reindex(tenantId, next);
    return attempts;
  };

  const reindex = async (tenantId: string, next: string | null): Promise<void> => {
    const scope = platformScope();
    const entry = await deps.store.collection(crmDue).get(scope, tenantId);
    if (!entry) return;
    const at = now().toISOString();
    try {
      await deps.store.transaction(scope, { action: 'lifecycle.crmDue', actor: SYSTEM_ACTOR, correlationId: newId(), audit: false }, (tx) => {
        if (next) tx.update(crmDue, entry, { dueAt: next });
        else if (entry.holdUntil <= at) tx.remove(crmDue, entry);
        // Nothing pending yet, but an enqueue may still be committing: look again soon until the hold ends.
        else tx.update(crmDue, entry, { dueAt: new Date(now().getTime() + Math.min(pollMs, EMPTY_RECHECK_MS)).toISOString() });
      });
    } catch (error) {
      // An enqueue touched the entry meanwhile; it set an earlier due time, which the next tick reads.
      if (!isStoreRace(error)) throw error;
    }
  };

  const pass = async (): Promise<number> => {
    const due = await deps.store.collection(crmDue).find(platformScope(), { dueAt: { $lte: now().toISOString() } }, { sort: { field: 'dueAt', direction: 1 }, limit: 100 });
    let attempts = 0;
    for (const entry of due) {
      if (loop.stopped()) break;
      try {
        attempts += await processTenant(entry.id);
      } catch (error) {
        deps.logger.error({ err: error, tenantId: entry.id }, 'CRM sync tick failed for a tenant');
      }
    }
    return attempts;
  };

  const earliestDue = async (): Promise<string | null> => {
    const [first] = await deps.store.collection(crmDue).find(platformScope(), {}, { sort: { field: 'dueAt', direction: 1 }, limit: 1 });
    return first?.dueAt ?? null;
  };

  const loop = createDueLoop({ pollMs, now, logger: deps.logger, what: 'CRM sync', pass, earliestDue });
  return { start: loop.start, stop: loop.stop, kick: loop.kick, tick: loop.tick };
};

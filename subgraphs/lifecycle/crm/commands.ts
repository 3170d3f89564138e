import { requirePrincipal, requireScope, type RequestContext } from '../../../platform/context.ts';
import { inputError, notFound } from '../../../platform/errors.ts';
import type { ProvenanceRecord } from '../../../platform/provenance/provenance.ts';
import type { SubgraphDeps } from '../../../platform/server.ts';
import type { Filter } from '../../../platform/store/port.ts';
import { clampFirst } from '../../../platform/store/transaction.ts';
import {
  applyMapping,
  checkBackoffBase,
  checkEndpointUrl,
  checkFieldMapping,
  checkStageMapping,
  CRM_MAX_ATTEMPTS,
  DEFAULT_BACKOFF_BASE_MS,
  retrySchedule,
  type CrmDeliveryStatus,
  type FieldMapping,
  type StageMapping,
} from '../domain/crm.ts';
import { connectionOf } from '../commands.ts';
import { crmDeliveries, crmSettings, type CrmDeliveryDoc, type CrmDeliveryModel, type CrmSettingsModel } from '../store.ts';
import { CRM_SETTINGS_ID, markDue } from './sync.ts';

/** CRM sync commands behind the GraphQL API: settings, the delivery log, the dead-letter and review queues. */

const txOptions = (ctx: RequestContext, action: string) => {
  const principal = requirePrincipal(ctx);
  return { action: `lifecycle.${action}`, actor: { id: principal.subject, kind: principal.kind }, correlationId: ctx.correlationId };
};

export interface CrmSettingsInput {
  enabled: boolean;
  endpointUrl: string;
  fieldMapping?: ReadonlyArray<FieldMapping> | null;
  stageMapping?: ReadonlyArray<StageMapping> | null;
  backoffBaseMs?: number | null;
}

/** CRM settings with what they imply (the retry schedule), for the API. */
export const crmSettingsView = (settings: CrmSettingsModel) => ({ ...settings, maxAttempts: CRM_MAX_ATTEMPTS, retryScheduleMs: retrySchedule(settings.backoffBaseMs) });

export const getCrmSettings = async (deps: SubgraphDeps, ctx: RequestContext) => {
  const settings = await deps.store.collection(crmSettings).get(requireScope(ctx), CRM_SETTINGS_ID);
  return settings ? crmSettingsView(settings) : null;
};

/** Sets the organization's CRM connector endpoint, field and stage mapping and retry base; validates the URL (public https only in production). */
export const setCrmSettings = async (deps: SubgraphDeps, ctx: RequestContext, input: CrmSettingsInput) => {
  const scope = requireScope(ctx);
  const next = {
    enabled: input.enabled,
    connector: 'HTTP' as const,
    endpointUrl: checkEndpointUrl(input.endpointUrl, deps.config.env !== 'production'),
    fieldMapping: checkFieldMapping(input.fieldMapping ?? []),
    stageMapping: checkStageMapping(input.stageMapping ?? []),
    backoffBaseMs: checkBackoffBase(input.backoffBaseMs ?? DEFAULT_BACKOFF_BASE_MS),
  };
  const existing = await deps.store.collection(crmSettings).get(scope, CRM_SETTINGS_ID);
  const provenance = deps.provenance.build({ method: 'HUMAN', inputs: next, explanation: 'CRM sync settings set by an organization administrator' }, ctx.correlationId);
  const stored = await deps.store.transaction(scope, txOptions(ctx, 'setCrmSettings'), (tx) => {
    const saved = existing ? tx.update(crmSettings, existing, next, provenance) : tx.insert(crmSettings, { id: CRM_SETTINGS_ID, ...next }, provenance);
    tx.emit(
      { type: 'crm.settings.updated', topic: 'crm_events', subject: { typename: 'Organization', id: scope.tenantId }, payload: { enabled: next.enabled, host: new URL(next.endpointUrl).host, mappedFields: next.fieldMapping.length, backoffBaseMs: next.backoffBaseMs } },
      provenance,
    );
    return saved;
  });
  return crmSettingsView(stored);
};

export const listCrmDeliveries = async (deps: SubgraphDeps, ctx: RequestContext, args: { status?: CrmDeliveryStatus | null; first?: number | null; after?: string | null }) => {
  const scope = requireScope(ctx);
  const filter: Filter = args.status ? { status: args.status } : {};
  const reader = deps.store.collection(crmDeliveries);
  const [page, totalCount] = await Promise.all([reader.page(scope, filter, { first: clampFirst(args.first), after: args.after }), reader.count(scope, filter)]);
  return { ...connectionOf(page), totalCount };
};

/** Counts per delivery status. */
export const crmSyncStats = async (deps: SubgraphDeps, ctx: RequestContext) => {
  const scope = requireScope(ctx);
  const reader = deps.store.collection(crmDeliveries);
  const statuses: CrmDeliveryStatus[] = ['PENDING', 'DELIVERED', 'DEAD_LETTER', 'CONFLICT', 'DISCARDED'];
  const counts = await Promise.all(statuses.map((status) => reader.count(scope, { status })));
  const byStatus = Object.fromEntries(statuses.map((s, i) => [s, counts[i]])) as Record<CrmDeliveryStatus, number>;
  const provenance = deps.provenance.build({ method: 'STATISTICAL', inputs: byStatus, explanation: 'Counts of CRM deliveries by status' }, ctx.correlationId);
  return { pending: byStatus.PENDING, delivered: byStatus.DELIVERED, deadLettered: byStatus.DEAD_LETTER, inReview: byStatus.CONFLICT, discarded: byStatus.DISCARDED, provenance };
};

const loadDelivery = async (deps: SubgraphDeps, ctx: RequestContext, id: string): Promise<CrmDeliveryModel> => {
  const delivery = await deps.store.collection(crmDeliveries).get(requireScope(ctx), id);
  if (!delivery) throw notFound('CrmDelivery');
  return delivery;
};

/** Puts a dead-lettered delivery back in the queue with a fresh budget of 5 tries (the same idempotency key). */
export const replayCrmDelivery = async (deps: SubgraphDeps, ctx: RequestContext, id: string, kick: () => void): Promise<CrmDeliveryModel> => {
  const scope = requireScope(ctx);
  const delivery = await loadDelivery(deps, ctx, id);
  if (delivery.status !== 'DEAD_LETTER') throw inputError('id', `the delivery is ${delivery.status}, not DEAD_LETTER`, 'Replay deliveries from crmDeadLetters; conflicts are settled with resolveCrmConflict.');
  const now = new Date();
  await markDue(deps, scope.tenantId, now, ctx.correlationId);
  const provenance = deps.provenance.build({ method: 'HUMAN', inputs: { deliveryId: id, replay: delivery.replays + 1 }, explanation: 'Dead-lettered CRM delivery replayed by a person' }, ctx.correlationId);
  const patch: Partial<CrmDeliveryDoc> = { status: 'PENDING', attempts: 0, nextAttemptAt: now.toISOString(), deadLetteredAt: null, replays: delivery.replays + 1 };
  const updated = await deps.store.transaction(scope, txOptions(ctx, 'replayCrmDelivery'), (tx) => {
    const saved = tx.update(crmDeliveries, delivery, patch, provenance);
    tx.emit({ type: 'crm.sync.replayed', topic: 'crm_events', subject: { typename: 'CrmDelivery', id }, payload: { operation: delivery.operation, recordKey: delivery.recordKey, replay: saved.replays } }, provenance);
    return saved;
  });
  kick();
  return updated;
};

export type CrmConflictAction = 'PUSH_OURS' | 'KEEP_CRM';

/** Settles a delivery in the manual review queue: push ours (sent again without the precondition) or keep the CRM's value (discarded). */
export const resolveCrmConflict = async (deps: SubgraphDeps, ctx: RequestContext, args: { id: string; action: CrmConflictAction; note?: string | null }, kick: () => void): Promise<CrmDeliveryModel> => {
  const scope = requireScope(ctx);
  const delivery = await loadDelivery(deps, ctx, args.id);
  if (delivery.status !== 'CONFLICT') throw inputError('id', `the delivery is ${delivery.status}, not in review`, 'Pick a delivery from crmReviewQueue.');
  const note = args.note?.trim() ?? '';
  if (note.length > 1000) throw inputError('note', 'note must be at most 1,000 characters', 'Say briefly why.');
  const now = new Date();
  const push = args.action === 'PUSH_OURS';
  if (push) await markDue(deps, scope.tenantId, now, ctx.correlationId);
  const provenance = deps.provenance.build({ method: 'HUMAN', inputs: { deliveryId: args.id, action: args.action, note }, explanation: `CRM conflict resolved by a person: ${push ? 'push ours' : 'keep the CRM value'}${note ? ` (${note})` : ''}` }, ctx.correlationId);
  const patch: Partial<CrmDeliveryDoc> = push ? { status: 'PENDING', force: true, attempts: 0, nextAttemptAt: now.toISOString() } : { status: 'DISCARDED', nextAttemptAt: null };
  const updated = await deps.store.transaction(scope, txOptions(ctx, 'resolveCrmConflict'), (tx) => {
    const saved = tx.update(crmDeliveries, delivery, patch, provenance);
    tx.emit({ type: 'crm.conflict.resolved', topic: 'crm_events', subject: { typename: 'CrmDelivery', id: args.id }, payload: { action: args.action, recordKey: delivery.recordKey, note } }, provenance);
    return saved;
  });
  if (push) kick();
  return updated;
};

/** The delivery's fields as the CRM receives them under the current mapping. */
export const mappedFieldsOf = async (deps: SubgraphDeps, ctx: RequestContext, delivery: CrmDeliveryModel) => {
  const settings = await deps.store.collection(crmSettings).get(requireScope(ctx), CRM_SETTINGS_ID);
  const canonical = Object.fromEntries(delivery.fields.map((f) => [f.name, f.value]));
  return applyMapping(canonical, settings?.fieldMapping ?? [], settings?.stageMapping ?? []);
};

/** A field, mapping or attempt carries the provenance of the document it belongs to. */
export const withProvenance = <T extends object>(items: readonly T[], provenance: ProvenanceRecord) => items.map((item) => ({ ...item, provenance }));

/** A field value as GraphQL shows it (String). */
export const fieldValueText = (value: string | number | null): string | null => (value === null ? null : String(value));

import { KeyObject } from 'node:crypto';
import { requireScope, systemScope, type RequestContext, type TenantScope } from '../../platform/context.ts';
import { DomainError, inputError } from '../../platform/errors.ts';
import { consumeOnce } from '../../platform/events/consume.ts';
import type { EventEnvelope } from '../../platform/events/envelope.ts';
import type { BusSubscription, EventBus } from '../../platform/events/port.ts';
import type { ProvenanceRecord } from '../../platform/provenance/provenance.ts';
import type { SubgraphDeps } from '../../platform/server.ts';
import type { Transaction } from '../../platform/store/port.ts';
import { clampFirst } from '../../platform/store/transaction.ts';
import { nextEntry, readCheckpoint, signCheckpoint, verifyChain, verifyInclusionProof, type AuditChange, type ChainCheck, type ChainedRecord } from './domain/audit-chain.ts';
import { auditCheckpoints, auditRecords, type AuditCheckpointModel, type AuditRecordModel } from './store.ts';

export const AUDIT_CONSUMER = 'governance-audit';
/** At most this many records per verification or proof. */
export const MAX_CHAIN_SPAN = 10_000;

export interface AuditOptions {
  /** A signed checkpoint every N records (default 100). */
  checkpointEvery: number;
}

const actorOf = (ctx: RequestContext): { id: string; kind: 'user' | 'app' | 'system' } => (ctx.principal ? { id: ctx.principal.subject, kind: ctx.principal.kind } : { id: 'anonymous', kind: 'system' });

/** Runs work for one tenant at a time, in arrival order (other tenants are not held up). */
export const createTenantLock = () => {
  const tails = new Map<string, Promise<unknown>>();
  return <R>(tenantId: string, work: () => Promise<R>): Promise<R> => {
    const previous = tails.get(tenantId) ?? Promise.resolve();
    const run = previous.then(work, work);
    const tail = run.catch(() => undefined);
    tails.set(tenantId, tail);
    void tail.then(() => {
      if (tails.get(tenantId) === tail) tails.delete(tenantId);
    });
    return run;
  };
};

/** A view of the bus whose handlers run one event per tenant at a time, so chain appends never race in this process. */
const serializedPerTenant = (bus: EventBus, lock: ReturnType<typeof createTenantLock>): EventBus => ({
  engine: bus.engine,
  publish: (events) => bus.publish(events),
  subscribe: (options, handler) => bus.subscribe(options, (event: EventEnvelope) => lock(event.tenantId, () => handler(event))),
  health: () => bus.health(),
  close: () => bus.close(),
});

const headOf = async (deps: SubgraphDeps, scope: TenantScope): Promise<AuditRecordModel | null> =>
  (await deps.store.collection(auditRecords).find(scope, {}, { sort: { field: 'seq', direction: -1 }, limit: 1 }))[0] ?? null;

const signingKey = (deps: SubgraphDeps): KeyObject => KeyObject.from(deps.keyring.provenance.privateKey);

const insertCheckpoint = (deps: SubgraphDeps, tx: Transaction, tenantId: string, head: { seq: number; hash: string }, provenance: ProvenanceRecord): AuditCheckpointModel => {
  const jws = signCheckpoint({ tenantId, seq: head.seq, hash: head.hash }, signingKey(deps), deps.keyring.provenance.kid);
  const checkpoint = tx.insert(auditCheckpoints, { seq: head.seq, hash: head.hash, jws, kid: deps.keyring.provenance.kid }, provenance);
  tx.emit({ type: 'audit.checkpoint.created', topic: 'governance_events', subject: { typename: 'AuditCheckpoint', id: checkpoint.id }, payload: { seq: head.seq, hash: head.hash } }, provenance);
  return checkpoint;
};

/** Appends one audit event to its tenant's chain (inside the consumer's transaction), with a checkpoint every N records. */
export const appendAuditEvent = async (deps: SubgraphDeps, options: AuditOptions, event: EventEnvelope, tx: Transaction): Promise<void> => {
  if (event.type !== 'audit.recorded') return;
  const scope = systemScope(event.tenantId, 'audit chain append');
  const payload = event.payload as { action?: string; changes?: AuditChange[] };
  const head = await headOf(deps, scope);
  const record: ChainedRecord = nextEntry(head, {
    eventId: event.id,
    action: String(payload.action ?? event.type),
    actor: { id: event.actor.id, kind: event.actor.kind },
    occurredAt: event.occurredAt,
    correlationId: event.correlationId,
    changes: (payload.changes ?? []).map((c) => ({ collection: c.collection, id: c.id, op: c.op, beforeDigest: c.beforeDigest ?? null, afterDigest: c.afterDigest ?? null })),
  });
  tx.insert(auditRecords, { ...record, sourceSubgraph: event.provenance?.subgraph ?? 'unknown' }, event.provenance);
  if (record.seq % options.checkpointEvery === 0) {
    const provenance = deps.provenance.build({ method: 'SYSTEM', inputs: { seq: record.seq, hash: record.hash }, explanation: `Periodic checkpoint every ${options.checkpointEvery} records` }, event.correlationId);
    insertCheckpoint(deps, tx, event.tenantId, record, provenance);
  }
};

/** Starts the audit consumer: every subgraph's audit events, chained per tenant. */
export const startAuditConsumer = (deps: SubgraphDeps, options: AuditOptions): Promise<BusSubscription> =>
  consumeOnce(serializedPerTenant(deps.bus, createTenantLock()), deps.store, { logger: deps.logger, consumer: AUDIT_CONSUMER, topics: ['audit_events'], types: ['audit.recorded'], fromBeginning: true }, (event, tx) => appendAuditEvent(deps, options, event, tx));

export const createAuditCheckpoint = async (deps: SubgraphDeps, ctx: RequestContext): Promise<AuditCheckpointModel> => {
  const scope = requireScope(ctx);
  const head = await headOf(deps, scope);
  if (!head) throw new DomainError('BAD_USER_INPUT', 'The audit chain is empty', { hint: 'Checkpoints sign the chain head; make a change first.', field: 'seq' });
  const existing = await deps.store.collection(auditCheckpoints).findOne(scope, { seq: head.seq });
  if (existing) return existing;
  const provenance = deps.provenance.build({ method: 'SYSTEM', inputs: { seq: head.seq, hash: head.hash }, explanation: 'Checkpoint requested on demand' }, ctx.correlationId);
  return deps.store.transaction(scope, { action: 'governance.createAuditCheckpoint', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => insertCheckpoint(deps, tx, scope.tenantId, head, provenance));
};

export const connectionOf = <T extends { id: string }>(page: { items: T[]; cursors: string[]; hasNextPage: boolean; endCursor: string | null }) => ({
  edges: page.items.map((node, i) => ({ cursor: page.cursors[i], node })),
  pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
});

export const listAuditRecords = async (deps: SubgraphDeps, ctx: RequestContext, args: { first?: number | null; after?: string | null }) => {
  const scope = requireScope(ctx);
  const reader = deps.store.collection(auditRecords);
  const [page, totalCount] = await Promise.all([reader.page(scope, {}, { first: clampFirst(args.first), after: args.after, sort: { field: 'seq', direction: -1 } }), reader.count(scope)]);
  return { ...connectionOf(page), totalCount };
};

export const listAuditCheckpoints = async (deps: SubgraphDeps, ctx: RequestContext, args: { first?: number | null; after?: string | null }) => {
  const page = await deps.store.collection(auditCheckpoints).page(requireScope(ctx), {}, { first: clampFirst(args.first), after: args.after, sort: { field: 'seq', direction: -1 } });
  return connectionOf(page);
};

export const auditRecordAt = (deps: SubgraphDeps, ctx: RequestContext, seq: number): Promise<AuditRecordModel | null> => deps.store.collection(auditRecords).findOne(requireScope(ctx), { seq });

const checkSeq = (value: number, field: string): number => {
  if (!Number.isInteger(value) || value < 1) throw inputError(field, `${field} must be a positive integer`, 'Sequence numbers start at 1.');
  return value;
};

export const verifyAuditChain = async (deps: SubgraphDeps, ctx: RequestContext, args: { from?: number | null; to?: number | null }): Promise<ChainCheck & { from: number; to: number; provenance: ProvenanceRecord }> => {
  const scope = requireScope(ctx);
  const from = checkSeq(args.from ?? 1, 'from');
  const head = await headOf(deps, scope);
  const to = args.to ?? head?.seq ?? 0;
  if (!Number.isInteger(to) || to < 0) throw inputError('to', 'to must be a non-negative integer', 'Give the last sequence number to check, or omit it for the head.');
  if (to - from + 1 > MAX_CHAIN_SPAN) throw inputError('to', `At most ${MAX_CHAIN_SPAN} records per check`, 'Check the chain in ranges.');
  const reader = deps.store.collection(auditRecords);
  const records = to >= from ? await reader.find(scope, { seq: { $gte: from, $lte: to } }, { sort: { field: 'seq', direction: 1 }, limit: to - from + 1 }) : [];
  const before = from > 1 ? await reader.findOne(scope, { seq: from - 1 }) : null;
  const stored = to >= from ? await deps.store.collection(auditCheckpoints).find(scope, { seq: { $gte: from, $lte: to } }) : [];
  const checkpoints = stored.map((c) => {
    const claims = readCheckpoint(c.jws, deps.keyring.provenance.publicJwk);
    const signatureValid = claims !== null && claims.tenantId === scope.tenantId && claims.seq === c.seq;
    return { seq: c.seq, hash: claims?.hash ?? c.hash, signatureValid };
  });
  const result = to < from ? { valid: true, checkedCount: 0, firstBrokenSeq: null, reason: null } : verifyChain(records, { from, to, prevHashBefore: before?.hash ?? null }, checkpoints);
  const provenance = deps.provenance.build({ method: 'RULE', inputs: { from, to, head: head?.hash ?? null }, explanation: 'Recomputed SHA-256 of every record, its link to the previous one, and signed checkpoints', confidence: 1 }, ctx.correlationId);
  return { ...result, from, to, provenance };
};

export const auditInclusionProof = async (deps: SubgraphDeps, ctx: RequestContext, seqArg: number) => {
  const scope = requireScope(ctx);
  const seq = checkSeq(seqArg, 'seq');
  const reader = deps.store.collection(auditRecords);
  const record = await reader.findOne(scope, { seq });
  if (!record) throw new DomainError('NOT_FOUND', `Audit record ${seq} not found`, { hint: 'Use a seq from auditRecords.' });
  const [checkpoint] = await deps.store.collection(auditCheckpoints).find(scope, { seq: { $gte: seq } }, { sort: { field: 'seq', direction: 1 }, limit: 1 });
  if (!checkpoint) throw inputError('seq', `No checkpoint covers record ${seq} yet`, 'Call createAuditCheckpoint, then ask again.');
  if (checkpoint.seq - seq > MAX_CHAIN_SPAN) throw inputError('seq', 'The nearest checkpoint is too far from this record', 'Call createAuditCheckpoint closer to it.');
  const path = checkpoint.seq > seq ? await reader.find(scope, { seq: { $gt: seq, $lte: checkpoint.seq } }, { sort: { field: 'seq', direction: 1 }, limit: checkpoint.seq - seq }) : [];
  const verified = verifyInclusionProof({ record, path, checkpointJws: checkpoint.jws }, deps.keyring.provenance.publicJwk, scope.tenantId).valid;
  const provenance = deps.provenance.build({ method: 'RULE', inputs: { seq, checkpoint: checkpoint.seq }, explanation: 'Hash path from the record to a signed checkpoint', confidence: 1 }, ctx.correlationId);
  return { record, path, checkpoint, verified, provenance };
};

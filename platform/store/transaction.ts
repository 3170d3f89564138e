import { DomainError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { TenantScope } from '../context.ts';
import type { EventEnvelope } from '../events/envelope.ts';
import { digestOf } from '../provenance/canonical.ts';
import type { ProvenanceFactory, ProvenanceRecord } from '../provenance/provenance.ts';
import type { CollectionSpec, Stored, Transaction, TransactionOptions } from './port.ts';

/** One document write of a commit plan. `expectVersion` null means "must not exist yet". */
export interface PlannedPut {
  collection: string;
  doc: Stored<Record<string, unknown>>;
  expectVersion: number | null;
  uniques: Array<{ key: string; value: string }>;
}

export interface PlannedDelete {
  collection: string;
  id: string;
  expectVersion: number;
}

/** Everything a transaction wants written, applied atomically by an adapter. */
export interface CommitPlan {
  tenantId: string;
  puts: PlannedPut[];
  deletes: PlannedDelete[];
  events: EventEnvelope[];
}

const RESERVED = new Set(['id', 'tenantId', 'version', 'createdAt', 'updatedAt', 'provenance']);

/** The key a unique index is enforced by, per tenant: collection, index fields and their values. */
export const uniqueKeys = (spec: CollectionSpec<unknown>, doc: Record<string, unknown>): Array<{ key: string; value: string }> =>
  (spec.indexes ?? [])
    .filter((index) => index.unique)
    .map((index) => ({ key: `${spec.name}.${index.fields.join('+')}`, value: digestOf(index.fields.map((f) => doc[f as string] ?? null)) }));

/** Buffers a transaction's writes into a plan; adapters own how the plan is applied. */
export const createPlanner = (scope: TenantScope, options: TransactionOptions, provenance: ProvenanceFactory): { tx: Transaction; finish(): CommitPlan } => {
  const plan: CommitPlan = { tenantId: scope.tenantId, puts: [], deletes: [], events: [] };
  const changes: Array<{ collection: string; id: string; op: 'insert' | 'update' | 'delete'; beforeDigest: string | null; afterDigest: string | null }> = [];
  let firstSubject: { typename: string; id: string } | null = null;
  const now = (): string => new Date().toISOString();

  const tx: Transaction = {
    insert<T>(spec: CollectionSpec<T>, doc: T & { id?: string }, record: ProvenanceRecord): Stored<T> {
      const body = doc as Record<string, unknown>;
      for (const key of Object.keys(body)) if (key !== 'id' && RESERVED.has(key)) throw new Error(`${spec.name}: ${key} is set by the store`);
      const at = now();
      const stored = { ...body, id: (doc.id as string | undefined) ?? newId(), tenantId: scope.tenantId, version: 1, createdAt: at, updatedAt: at, provenance: record } as Stored<T>;
      plan.puts.push({ collection: spec.name, doc: stored as Stored<Record<string, unknown>>, expectVersion: null, uniques: uniqueKeys(spec as CollectionSpec<unknown>, stored as Record<string, unknown>) });
      changes.push({ collection: spec.name, id: stored.id, op: 'insert', beforeDigest: null, afterDigest: digestOf(stored) });
      return stored;
    },
    update<T>(spec: CollectionSpec<T>, existing: Stored<T>, patch: Partial<T>, record?: ProvenanceRecord): Stored<T> {
      if (existing.tenantId !== scope.tenantId) throw new DomainError('NOT_FOUND', 'Not found');
      for (const key of Object.keys(patch)) if (RESERVED.has(key)) throw new Error(`${spec.name}: ${key} is set by the store`);
      const stored = { ...existing, ...patch, version: existing.version + 1, updatedAt: now(), provenance: record ?? existing.provenance } as Stored<T>;
      plan.puts.push({ collection: spec.name, doc: stored as Stored<Record<string, unknown>>, expectVersion: existing.version, uniques: uniqueKeys(spec as CollectionSpec<unknown>, stored as Record<string, unknown>) });
      changes.push({ collection: spec.name, id: stored.id, op: 'update', beforeDigest: digestOf(existing), afterDigest: digestOf(stored) });
      return stored;
    },
    remove<T>(spec: CollectionSpec<T>, existing: Stored<T>): void {
      if (existing.tenantId !== scope.tenantId) throw new DomainError('NOT_FOUND', 'Not found');
      plan.deletes.push({ collection: spec.name, id: existing.id, expectVersion: existing.version });
      changes.push({ collection: spec.name, id: existing.id, op: 'delete', beforeDigest: digestOf(existing), afterDigest: null });
    },
    emit(draft, record) {
      const envelope = {
        id: newId(),
        type: draft.type,
        topic: draft.topic,
        tenantId: scope.tenantId,
        subject: draft.subject,
        actor: options.actor,
        occurredAt: now(),
        correlationId: options.correlationId,
        payload: draft.payload,
        provenance: record,
        schemaVersion: draft.schemaVersion ?? 1,
      };
      firstSubject ??= draft.subject;
      plan.events.push(envelope as EventEnvelope);
      return envelope;
    },
  };

  return {
    tx,
    finish() {
      if (changes.length > 0 && options.audit !== false) {
        const payload = { action: options.action, changes };
        plan.events.push({
          id: newId(),
          type: 'audit.recorded',
          topic: 'audit_events',
          tenantId: scope.tenantId,
          subject: firstSubject ?? { typename: 'AuditSubject', id: changes[0].id },
          actor: options.actor,
          occurredAt: now(),
          correlationId: options.correlationId,
          payload,
          provenance: provenance.build({ method: 'SYSTEM', inputs: payload, explanation: `Audit record of ${options.action}` }, options.correlationId),
          schemaVersion: 1,
        });
      }
      return plan;
    },
  };
};

/** Cursor = base64url of [sort value, id]; opaque to clients. */
export const encodeCursor = (value: unknown, id: string): string => Buffer.from(JSON.stringify([value ?? null, id])).toString('base64url');

export const decodeCursor = (cursor: string): [string | number | boolean | null, string] => {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[1] === 'string') return parsed as [string | number | boolean | null, string];
  } catch {
    // fall through to the input error below
  }
  throw new DomainError('BAD_USER_INPUT', 'Invalid pagination cursor', { field: 'after', hint: 'Pass `after` exactly as returned in pageInfo.endCursor or an edge cursor.' });
};

/** Connection page size bounds shared by all adapters. */
export const clampFirst = (first: number | null | undefined, fallback = 20, max = 200): number => {
  if (first === null || first === undefined) return fallback;
  if (!Number.isInteger(first) || first < 0 || first > max) {
    throw new DomainError('BAD_USER_INPUT', `first must be between 0 and ${max}`, { field: 'first', hint: `Ask for at most ${max} items and page with after.` });
  }
  return first;
};

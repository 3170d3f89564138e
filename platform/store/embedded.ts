import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import NedbModule from '@seald-io/nedb';

// NeDB is CommonJS with an `export default` typing: at runtime the default import is the class itself.
type NedbClass = typeof NedbModule.default;
const Datastore: NedbClass = ((NedbModule as unknown as { default?: NedbClass }).default ?? (NedbModule as unknown as NedbClass));

/** The part of NeDB's API this adapter uses, typed precisely (its bundled typings are loose). */
interface NedbCursor<T> extends PromiseLike<T> {
  sort(order: Record<string, 1 | -1>): NedbCursor<T>;
  limit(n: number): NedbCursor<T>;
}
interface NedbDb {
  loadDatabaseAsync(): Promise<void>;
  ensureIndexAsync(options: { fieldName: string; unique?: boolean; sparse?: boolean }): Promise<void>;
  findAsync(query: Record<string, unknown>): NedbCursor<Row[]>;
  findOneAsync(query: Record<string, unknown>): NedbCursor<Row | null>;
  countAsync(query: Record<string, unknown>): NedbCursor<number>;
  insertAsync(doc: Row): Promise<Row>;
  updateAsync(query: Record<string, unknown>, update: Record<string, unknown>, options: { upsert?: boolean; multi?: boolean }): Promise<unknown>;
  removeAsync(query: Record<string, unknown>, options: { multi?: boolean }): Promise<number>;
  compactDatafileAsync(): Promise<void>;
  setAutocompactionInterval(ms: number): void;
  stopAutocompaction(): void;
}
import type { TenantScope } from '../context.ts';
import { DomainError } from '../errors.ts';
import type { EventEnvelope } from '../events/envelope.ts';
import { createProvenanceFactory } from '../provenance/provenance.ts';
import type { CollectionReader, CollectionSpec, DocumentStore, Filter, OutboxEntry, Page, PageRequest, Stored } from './port.ts';
import { createPlanner, decodeCursor, encodeCursor, type CommitPlan } from './transaction.ts';

/**
 * Embedded DocumentStore: one NeDB file per subgraph under MESH_DATA_DIR.
 *
 * Layout: every document is `{ _id: "<collection>:<tenant>:<id>", _ct: "<collection>|<tenant>", ...doc }`.
 * `_ct` is indexed, so every read is confined to one tenant's slice of one collection.
 *
 * Atomicity: a commit first appends ONE write-ahead record holding the whole plan (documents and
 * outbox events) — a single `appendFile`, so it is either whole or dropped as a torn line on load —
 * then applies it and deletes the record. On open, records still present are re-applied; applying
 * is idempotent (puts are full documents). Commits are serialized in-process; a NeDB file has one
 * owner process.
 */
interface Row extends Record<string, unknown> {
  _id: string;
  _ct?: string;
}

const COMMIT = '__commit';
const OUTBOX = '__outbox';
const UNIQUE = '__unique';

/** Row ids are physically per tenant: the same entity id in two tenants is two rows. */
const rowId = (collection: string, tenantId: string, id: string): string => `${collection}:${tenantId}:${id}`;
const sliceOf = (collection: string, tenantId: string): string => `${collection}|${tenantId}`;

const strip = <T>(row: Row | null): Stored<T> | null => {
  if (!row) return null;
  const { _id, _ct, ...doc } = row;
  return doc as Stored<T>;
};

const checkFilter = (filter: Filter): void => {
  for (const key of Object.keys(filter)) {
    if (key.startsWith('_') || key.startsWith('$') || key === 'tenantId') throw new DomainError('INTERNAL_SERVER_ERROR', `filter on reserved field ${key}`);
  }
};

export const createEmbeddedStore = async (options: { dataDir: string; name: string; autocompactMs?: number }): Promise<DocumentStore> => {
  await mkdir(options.dataDir, { recursive: true });
  const filename = path.join(options.dataDir, `${options.name}.db`);
  const db = new Datastore({ filename, corruptAlertThreshold: 0.1 }) as unknown as NedbDb;
  await db.loadDatabaseAsync();
  await db.ensureIndexAsync({ fieldName: '_ct' });
  await db.ensureIndexAsync({ fieldName: '_pending', sparse: true });
  await db.ensureIndexAsync({ fieldName: '_ukey', unique: true, sparse: true });
  const provenance = createProvenanceFactory(options.name, 'nedb');
  const stats = { roundTrips: 0 };
  const commitListeners: Array<() => void> = [];
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <R>(work: () => Promise<R>): Promise<R> => {
    const next = chain.then(work, work);
    chain = next.catch(() => undefined);
    return next;
  };

  let seq = 0;

  /** Writes a plan's rows. Idempotent: used for commits and for recovery. */
  const apply = async (rows: Row[], removeIds: string[]): Promise<void> => {
    for (const row of rows) await db.updateAsync({ _id: row._id }, row, { upsert: true });
    if (removeIds.length) await db.removeAsync({ _id: { $in: removeIds } }, { multi: true });
  };

  const rowsOf = async (plan: CommitPlan): Promise<{ rows: Row[]; removeIds: string[] }> => {
    const rows: Row[] = [];
    const removeIds: string[] = [];
    // The state as this plan leaves it, so a plan may touch the same document or unique value twice.
    const planned = new Map<string, Row | null>();
    const lookup = async (id: string): Promise<Row | null> => (planned.has(id) ? (planned.get(id) ?? null) : db.findOneAsync({ _id: id }));
    const markersOf = async (owner: string): Promise<string[]> => {
      const stored = (await db.findAsync({ _ct: UNIQUE, owner })).map((m) => m._id).filter((markerId) => planned.get(markerId) !== null);
      const inPlan = [...planned].filter(([, row]) => row?._ct === UNIQUE && row.owner === owner).map(([markerId]) => markerId);
      return [...new Set([...stored, ...inPlan])];
    };
    for (const put of plan.puts) {
      const id = rowId(put.collection, plan.tenantId, put.doc.id);
      const current = await lookup(id);
      const slice = sliceOf(put.collection, plan.tenantId);
      if (put.expectVersion === null && current) throw new DomainError('ALREADY_EXISTS', `${put.collection} ${put.doc.id} already exists`);
      // A document of another tenant is never overwritten, whatever `existing` the caller passed.
      if (put.expectVersion !== null && current && current._ct !== slice) throw new DomainError('NOT_FOUND', `${put.collection} not found`, { hint: 'It may belong to another organization or not exist.' });
      if (put.expectVersion !== null && (!current || current.version !== put.expectVersion)) {
        throw new DomainError('CONFLICT', `${put.collection} ${put.doc.id} was changed by someone else`, { hint: 'Reload it and apply your change again.', rootCause: 'version mismatch' });
      }
      const row: Row = { ...put.doc, _id: id, _ct: slice };
      rows.push(row);
      planned.set(id, row);
      // Unique keys: one marker row per key, scoped to the tenant.
      const previous = current ? await markersOf(id) : [];
      const kept = new Set<string>();
      for (const unique of put.uniques) {
        const markerId = `${UNIQUE}:${plan.tenantId}:${unique.key}:${unique.value}`;
        const holder = await lookup(markerId);
        if (holder && holder.owner !== id) {
          throw new DomainError('ALREADY_EXISTS', `Another ${put.collection} already has this ${unique.key.split('.')[1]}`, { field: unique.key.split('.')[1], hint: 'Choose a different value; it must be unique within the organization.' });
        }
        const marker: Row = { _id: markerId, _ct: UNIQUE, _ukey: markerId, owner: id };
        rows.push(marker);
        planned.set(markerId, marker);
        kept.add(markerId);
      }
      for (const old of previous) {
        if (!kept.has(old)) {
          removeIds.push(old);
          planned.set(old, null);
        }
      }
    }
    for (const del of plan.deletes) {
      const id = rowId(del.collection, plan.tenantId, del.id);
      const current = await lookup(id);
      if (current && current._ct !== sliceOf(del.collection, plan.tenantId)) throw new DomainError('NOT_FOUND', `${del.collection} not found`, { hint: 'It may belong to another organization or not exist.' });
      if (!current || current.version !== del.expectVersion) throw new DomainError('CONFLICT', `${del.collection} ${del.id} was changed by someone else`, { hint: 'Reload it and try again.' });
      for (const markerId of await markersOf(id)) {
        removeIds.push(markerId);
        planned.set(markerId, null);
      }
      removeIds.push(id);
      planned.set(id, null);
    }
    for (const event of plan.events) {
      seq += 1;
      rows.push({ _id: `${OUTBOX}:${event.id}`, _ct: OUTBOX, seq, _pending: true, tenantId: event.tenantId, topic: event.topic, eventId: event.id, envelope: event as unknown as Record<string, unknown> });
    }
    // Rows are upserted before removals are applied: remove only what the plan leaves removed
    // (a unique value freed and taken again in the same plan keeps its new marker).
    return { rows, removeIds: [...new Set(removeIds)].filter((rid) => planned.get(rid) === null) };
  };

  // Recovery: re-apply commits that were recorded but not (fully) applied before a crash.
  for (const record of await db.findAsync({ _ct: COMMIT }).sort({ at: 1 })) {
    await apply(record.rows as Row[], record.removeIds as string[]);
    await db.removeAsync({ _id: record._id }, {});
  }
  // After recovery: re-applied commits may have added outbox rows past the last one seen before.
  const lastOutbox = await db.findAsync({ _ct: OUTBOX }).sort({ seq: -1 }).limit(1);
  seq = typeof lastOutbox[0]?.seq === 'number' ? (lastOutbox[0].seq as number) : 0;
  if (options.autocompactMs) db.setAutocompactionInterval(options.autocompactMs);

  const reader = <T>(spec: CollectionSpec<T>): CollectionReader<T> => {
    const slice = (scope: TenantScope): string => sliceOf(spec.name, scope.tenantId);
    const query = (scope: TenantScope, filter: Filter = {}): Record<string, unknown> => {
      checkFilter(filter);
      return { ...filter, _ct: slice(scope) };
    };
    return {
      async get(scope, id) {
        stats.roundTrips += 1;
        const row = await db.findOneAsync({ _id: rowId(spec.name, scope.tenantId, id) });
        return row && row._ct === slice(scope) ? strip<T>(row) : null;
      },
      async getMany(scope, ids) {
        stats.roundTrips += 1;
        const rows = await db.findAsync({ _id: { $in: ids.map((id) => rowId(spec.name, scope.tenantId, id)) } });
        const byId = new Map(rows.filter((r) => r._ct === slice(scope)).map((r) => [r.id as string, r]));
        return ids.map((id) => strip<T>(byId.get(id) ?? null));
      },
      async find(scope, filter = {}, opts = {}) {
        stats.roundTrips += 1;
        let cursor = db.findAsync(query(scope, filter));
        if (opts.sort) cursor = cursor.sort({ [opts.sort.field]: opts.sort.direction, id: opts.sort.direction });
        if (opts.limit) cursor = cursor.limit(opts.limit);
        return (await cursor).map((row) => strip<T>(row) as Stored<T>);
      },
      async findOne(scope, filter) {
        stats.roundTrips += 1;
        return strip<T>(await db.findOneAsync(query(scope, filter)));
      },
      async page(scope, filter, request: PageRequest): Promise<Page<T>> {
        stats.roundTrips += 1;
        const sort = request.sort ?? { field: 'createdAt', direction: -1 as const };
        const q = query(scope, filter);
        if (request.after) {
          const [value, id] = decodeCursor(request.after);
          const op = sort.direction === -1 ? '$lt' : '$gt';
          q.$or = [{ [sort.field]: { [op]: value } }, { [sort.field]: value, id: { [op]: id } }];
        }
        const rows = await db.findAsync(q).sort({ [sort.field]: sort.direction, id: sort.direction }).limit(request.first + 1);
        const items = rows.slice(0, request.first).map((row) => strip<T>(row) as Stored<T>);
        const cursors = items.map((item) => encodeCursor((item as Record<string, unknown>)[sort.field], item.id));
        return { items, cursors, hasNextPage: rows.length > request.first, endCursor: cursors.at(-1) ?? null };
      },
      async count(scope, filter = {}) {
        stats.roundTrips += 1;
        return db.countAsync(query(scope, filter));
      },
    };
  };

  return {
    engine: 'nedb',
    stats,
    collection: reader,
    onCommit(listener) {
      commitListeners.push(listener);
    },
    async transaction(scope, txOptions, work) {
      const planner = createPlanner(scope, txOptions, provenance);
      const result = await work(planner.tx);
      const plan = planner.finish();
      if (!plan.puts.length && !plan.deletes.length && !plan.events.length) return result;
      await serial(async () => {
        stats.roundTrips += 1;
        const { rows, removeIds } = await rowsOf(plan);
        const record = await db.insertAsync({ _id: `${COMMIT}:${plan.events[0]?.id ?? Date.now()}`, _ct: COMMIT, at: Date.now(), rows, removeIds } as Row);
        await apply(rows, removeIds);
        await db.removeAsync({ _id: record._id }, {});
      });
      if (plan.events.length) for (const listener of commitListeners) listener();
      return result;
    },
    outbox: {
      async pending(limit): Promise<OutboxEntry[]> {
        const rows = await db.findAsync({ _pending: true }).sort({ seq: 1 }).limit(limit);
        return rows.map((row) => ({ seq: row.seq as number, envelope: row.envelope as unknown as EventEnvelope }));
      },
      async markPublished(seqs) {
        if (!seqs.length) return;
        await serial(() => db.updateAsync({ _ct: OUTBOX, seq: { $in: seqs } }, { $unset: { _pending: true }, $set: { publishedAt: new Date().toISOString() } }, { multi: true }));
      },
      async since(scope, afterEventId, topics, limit) {
        const q: Record<string, unknown> = { _ct: OUTBOX, tenantId: scope.tenantId, topic: { $in: [...topics] } };
        if (afterEventId) q.eventId = { $gt: afterEventId };
        const rows = await db.findAsync(q).sort({ seq: 1 }).limit(limit);
        return rows.map((row) => row.envelope as unknown as EventEnvelope);
      },
    },
    async health() {
      return { ok: true, detail: `nedb ${filename}` };
    },
    async close() {
      await chain;
      await db.compactDatafileAsync();
      db.stopAutocompaction();
    },
  };
};

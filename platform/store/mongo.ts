import mongoose, { type ClientSession, type Connection, type Model } from 'mongoose';
import type { TenantScope } from '../context.ts';
import { createErrorRecorder } from '../engine-health.ts';
import { DomainError } from '../errors.ts';
import type { EventEnvelope } from '../events/envelope.ts';
import { newId } from '../ids.ts';
import { createProvenanceFactory } from '../provenance/provenance.ts';
import type { CollectionReader, CollectionSpec, DocumentStore, Filter, OutboxEntry, Page, PageRequest, Stored, Transaction } from './port.ts';
import { createPlanner, decodeCursor, encodeCursor, uniqueKeys, type CommitPlan, type PlannedPut } from './transaction.ts';

/**
 * MongoDB DocumentStore (mongoose 9). One database per store (`mesh_<name>` unless `dbName` is given),
 * one mongoose model per collection, derived from its CollectionSpec.
 *
 * Documents: `{ _id: "<tenantId>:<id>", ...storedDoc }` with the store's fields (`id`, `tenantId`, `version`,
 * `createdAt`, `updatedAt` as ISO strings, `provenance`). Indexes come from the spec, each prefixed
 * with `tenantId`, so a spec's unique index is unique per tenant; they are created when the store
 * first sees the collection, before its first read or write.
 *
 * Tenancy: `_id` is `<tenantId>:<id>`, so ids are per tenant (as in the embedded adapter: the same
 * entity id in two tenants is two documents), and every read and write made for a caller also
 * carries `tenantId` from the scope (updates and removals are filtered by `_id`, `tenantId` and
 * `version`). Filters cannot name `tenantId`, `_id` or operators at the top level.
 *
 * Commits, two modes (`transactions` option, default `auto`):
 * - `session`: a multi-document transaction (replica set or sharded cluster). Version-checked writes,
 *   the unique indexes and the outbox rows commit or abort together. `auto` picks it when the server
 *   reports a replica set or mongos with sessions; forcing it on a server without them fails at start.
 * - `write-ahead`: for servers without transactions (a standalone mongod, or the `mongo-java-server`
 *   emulator the testbed runs). Like the embedded adapter: the plan is checked (versions, per-tenant
 *   uniques), then ONE `__commits` document holding the whole plan, with before-images, is inserted,
 *   the plan is applied with version-conditional writes, and the record is deleted. Commits are
 *   serialized within the process. If another process wins a race between the check and the apply,
 *   the applied part is rolled back from the before-images and the commit fails with CONFLICT /
 *   ALREADY_EXISTS. On start, records left by a crash are rolled forward (or back, if a rollback was
 *   under way, or the roll-forward itself hits a unique index). Readers may see a commit half-applied
 *   for the few milliseconds it takes; use a replica set where that matters.
 *
 * Outbox: the `__outbox` collection in the same database, `seq` from a counter document
 * (`__counters`, `findOneAndUpdate` + `$inc`).
 */
export interface MongoStoreOptions {
  uri: string;
  name: string;
  dbName?: string;
  /** `auto` (default): session transactions when the server supports them, else `write-ahead`. */
  transactions?: 'auto' | 'session' | 'write-ahead';
  /** Bound for reaching the server at start (default 5000 ms). */
  serverSelectionTimeoutMS?: number;
  /** Fault injection for tests only: runs between the write-ahead check and apply. */
  hooks?: { beforeApply?: (plan: CommitPlan) => Promise<void> };
}

type Row = Record<string, unknown> & { _id: string };

interface DocChange {
  collection: string;
  id: string;
  /** Version the stored document must have before the commit; null = must not exist. */
  firstExpect: number | null;
  /** The document after the commit; null = removed. */
  final: Stored<Record<string, unknown>> | null;
  uniques: PlannedPut['uniques'];
  before: Row | null;
}

interface OutboxRow {
  _id: string;
  seq: number;
  tenantId: string;
  topic: string;
  pending?: true;
  publishedAt?: string;
  envelope: EventEnvelope;
}

interface CommitRecord {
  _id: string;
  at: Date;
  state: 'applying' | 'rolling-back';
  tenantId: string;
  changes: DocChange[];
  outbox: OutboxRow[];
}

const COMMITS = '__commits';
const OUTBOX = '__outbox';
const COUNTERS = '__counters';

const redact = (uri: string): string => uri.replace(/\/\/[^@/]*@/, '//***@');

const strip = <T>(row: Row | null | undefined): Stored<T> | null => {
  if (!row) return null;
  const { _id, ...doc } = row;
  return doc as Stored<T>;
};

/** The physical `_id`: per tenant, so one entity id in two tenants is two documents. */
const keyOf = (tenantId: string, id: string): string => `${tenantId}:${id}`;

const rowOf = (doc: Stored<Record<string, unknown>>): Row => ({ _id: keyOf(doc.tenantId, doc.id), ...doc });

const checkFilter = (filter: Filter): void => {
  for (const key of Object.keys(filter)) {
    if (key.startsWith('_') || key.startsWith('$') || key === 'tenantId') throw new DomainError('INTERNAL_SERVER_ERROR', `filter on reserved field ${key}`);
  }
};

const isDuplicateKey = (error: unknown): error is Error & { keyPattern?: Record<string, unknown> } => {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return code === 11000 || code === 11001 || /E11000/.test(error.message);
};

const conflict = (collection: string, id: string): DomainError =>
  new DomainError('CONFLICT', `${collection} ${id} was changed by someone else`, { hint: 'Reload it and apply your change again.', rootCause: 'version mismatch' });

const duplicate = (collection: string, field: string | null, cause?: unknown): DomainError =>
  field
    ? new DomainError('ALREADY_EXISTS', `Another ${collection} already has this ${field}`, { field, hint: 'Choose a different value; it must be unique within the organization.', cause })
    : new DomainError('ALREADY_EXISTS', `This ${collection} already exists`, { cause });

/** The field a duplicate-key error names, if it is one of a spec's unique indexes. */
const duplicateField = (error: Error & { keyPattern?: Record<string, unknown> }): string | null => {
  const fromPattern = Object.keys(error.keyPattern ?? {}).filter((f) => f !== 'tenantId' && f !== '_id');
  if (fromPattern.length) return fromPattern.join('+');
  const match = /index: (\S+)/.exec(error.message);
  if (!match || match[1] === '_id_') return null;
  const fields = match[1].split('_').filter((part, i) => i % 2 === 0 && part !== 'tenantId');
  return fields.length ? fields.join('+') : null;
};

/** Folds a plan into one change per document (a transaction may insert and then update the same one). */
const collapse = (plan: CommitPlan): DocChange[] => {
  const changes = new Map<string, DocChange>();
  for (const put of plan.puts) {
    const key = `${put.collection}:${put.doc.id}`;
    const seen = changes.get(key);
    if (!seen) {
      changes.set(key, { collection: put.collection, id: put.doc.id, firstExpect: put.expectVersion, final: put.doc, uniques: put.uniques, before: null });
      continue;
    }
    if (put.expectVersion === null) throw duplicate(put.collection, null);
    if (!seen.final || seen.final.version !== put.expectVersion) throw conflict(put.collection, put.doc.id);
    seen.final = put.doc;
    seen.uniques = put.uniques;
  }
  for (const del of plan.deletes) {
    const key = `${del.collection}:${del.id}`;
    const seen = changes.get(key);
    if (!seen) {
      changes.set(key, { collection: del.collection, id: del.id, firstExpect: del.expectVersion, final: null, uniques: [], before: null });
      continue;
    }
    if (!seen.final || seen.final.version !== del.expectVersion) throw conflict(del.collection, del.id);
    seen.final = null;
    seen.uniques = [];
  }
  // Unique values within the plan itself.
  const owners = new Map<string, string>();
  for (const change of changes.values()) {
    for (const unique of change.uniques) {
      const slot = `${unique.key}=${unique.value}`;
      const owner = owners.get(slot);
      if (owner && owner !== change.id) throw duplicate(change.collection, unique.key.split('.')[1]);
      owners.set(slot, change.id);
    }
  }
  return [...changes.values()];
};

const groupBy = <T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> => {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
};

const schemaOf = <T>(spec: CollectionSpec<T>): mongoose.Schema => {
  const schema = new mongoose.Schema(
    {
      _id: { type: String, required: true },
      tenantId: { type: String, required: true, index: true },
      version: { type: Number, required: true },
    },
    // minimize: false — mongoose would otherwise drop empty objects (`deployed: {}`) on write.
    { strict: false, strictQuery: false, versionKey: false, id: false, autoIndex: false, autoCreate: false, minimize: false, collection: spec.name },
  );
  schema.index({ tenantId: 1, createdAt: -1, id: -1 });
  for (const index of spec.indexes ?? []) {
    const keys: Record<string, 1> = { tenantId: 1 };
    for (const field of index.fields) keys[field] = 1;
    schema.index(keys, index.unique ? { unique: true } : {});
  }
  return schema;
};

/** Does the server run multi-document transactions (replica set member or mongos, with sessions)? */
const supportsTransactions = async (connection: Connection): Promise<boolean> => {
  const admin = connection.db?.admin();
  if (!admin) return false;
  let hello: Record<string, unknown>;
  try {
    hello = await admin.command({ hello: 1 });
  } catch {
    hello = await admin.command({ isMaster: 1 }).catch(() => ({}));
  }
  const clustered = typeof hello.setName === 'string' || hello.msg === 'isdbgrid';
  return clustered && hello.logicalSessionTimeoutMinutes !== undefined && hello.logicalSessionTimeoutMinutes !== null;
};

export const createMongoStore = async (options: MongoStoreOptions): Promise<DocumentStore> => {
  const dbName = options.dbName ?? `mesh_${options.name}`;
  const timeout = options.serverSelectionTimeoutMS ?? 5000;
  const connection = mongoose.createConnection(options.uri, { dbName, serverSelectionTimeoutMS: timeout, autoIndex: false, autoCreate: false });
  try {
    await connection.asPromise();
  } catch (error) {
    await connection.close().catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`MONGODB_URI: cannot reach MongoDB at ${redact(options.uri)} within ${timeout} ms (${reason}). Start the server or fix MONGODB_URI.`, { cause: error });
  }
  const db = connection.db;
  // Engine-level failures seen after start (lost connection, server errors), for /health.
  const engineErrors = createErrorRecorder();
  let closing = false;
  connection.on('error', (error: unknown) => engineErrors.record(error));
  connection.on('disconnected', () => {
    if (!closing) engineErrors.record(new Error(`lost the connection to MongoDB at ${redact(options.uri)}`));
  });
  if (!db) throw new Error(`MONGODB_URI: connected to ${redact(options.uri)} but no database handle`);

  const mode = options.transactions ?? 'auto';
  const transactional = mode === 'write-ahead' ? false : await supportsTransactions(connection);
  if (mode === 'session' && !transactional) {
    await connection.close();
    throw new Error(`MONGODB_URI: ${redact(options.uri)} does not support multi-document transactions (it is not a replica set or mongos); use transactions 'auto' or 'write-ahead'.`);
  }
  const useSessions = transactional;
  const commits = db.collection<CommitRecord>(COMMITS);
  const outbox = db.collection<OutboxRow>(OUTBOX);
  const counters = db.collection<{ _id: string; seq: number }>(COUNTERS);
  await outbox.createIndex({ seq: 1 }, { unique: true });
  await outbox.createIndex({ pending: 1, seq: 1 }, { sparse: true });
  await outbox.createIndex({ tenantId: 1, topic: 1, seq: 1 });
  // The counter exists before any transaction needs it (no implicit creation inside one).
  await counters.updateOne({ _id: 'outbox' }, { $setOnInsert: { seq: 0 } }, { upsert: true });

  const provenance = createProvenanceFactory(options.name, 'mongo');
  const stats = { roundTrips: 0 };
  const commitListeners: Array<() => void> = [];
  const models = new Map<string, { model: Model<Row>; spec: CollectionSpec<unknown>; ready: Promise<void> }>();
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <R>(work: () => Promise<R>): Promise<R> => {
    const next = chain.then(work, work);
    chain = next.catch(() => undefined);
    return next;
  };

  /** The model of a collection; its indexes are created once, before it is first used. */
  const register = <T>(spec: CollectionSpec<T>): { model: Model<Row>; spec: CollectionSpec<unknown>; ready: Promise<void> } => {
    let entry = models.get(spec.name);
    if (!entry) {
      const model = connection.model<Row>(spec.name, schemaOf(spec), spec.name);
      const ready = model.createIndexes().then(() => undefined);
      ready.catch(() => undefined);
      entry = { model, spec: spec as CollectionSpec<unknown>, ready };
      models.set(spec.name, entry);
    }
    return entry;
  };
  const modelOf = async (collection: string): Promise<Model<Row>> => {
    const entry = models.get(collection);
    if (!entry) throw new Error(`collection ${collection} is not registered`);
    await entry.ready;
    return entry.model;
  };

  const nextSeqs = async (count: number, session?: ClientSession): Promise<number> => {
    const counter = await counters.findOneAndUpdate({ _id: 'outbox' }, { $inc: { seq: count } }, { upsert: true, returnDocument: 'after', session });
    if (!counter) throw new Error('outbox counter missing');
    return counter.seq - count + 1;
  };

  const outboxRows = (plan: CommitPlan, firstSeq: number): OutboxRow[] =>
    plan.events.map((event, i) => ({ _id: event.id, seq: firstSeq + i, tenantId: event.tenantId, topic: event.topic, pending: true, envelope: event }));

  /** Version-conditional writes of a plan: removals, then updates, then inserts, per collection. */
  const applyChanges = async (changes: readonly DocChange[], rows: readonly OutboxRow[], tenantId: string, session?: ClientSession): Promise<void> => {
    for (const [collection, list] of groupBy(changes, (c) => c.collection)) {
      const model = await modelOf(collection);
      const removals = list.filter((c) => c.final === null && c.firstExpect !== null);
      const updates = list.filter((c) => c.final !== null && c.firstExpect !== null);
      const inserts = list.filter((c) => c.final !== null && c.firstExpect === null);
      const ops = [
        ...removals.map((c) => ({ deleteOne: { filter: { _id: keyOf(tenantId, c.id), tenantId, version: c.firstExpect } } })),
        ...updates.map((c) => ({ replaceOne: { filter: { _id: keyOf(tenantId, c.id), tenantId, version: c.firstExpect }, replacement: rowOf(c.final as Stored<Record<string, unknown>>) } })),
        ...inserts.map((c) => ({ insertOne: { document: rowOf(c.final as Stored<Record<string, unknown>>) } })),
      ];
      if (!ops.length) continue;
      let result: { deletedCount: number; matchedCount: number };
      try {
        result = await model.bulkWrite(ops, { ordered: true, session });
      } catch (error) {
        if (isDuplicateKey(error)) throw duplicate(collection, duplicateField(error), error);
        throw error;
      }
      if (result.deletedCount < removals.length || result.matchedCount < updates.length) {
        const lost = [...removals, ...updates][0];
        throw conflict(collection, lost.id);
      }
    }
    if (rows.length) await outbox.insertMany([...rows], { session });
  };

  /** Write-ahead mode: checks versions and per-tenant uniques against the stored documents. */
  const precheck = async (changes: DocChange[], tenantId: string): Promise<void> => {
    for (const [collection, list] of groupBy(changes, (c) => c.collection)) {
      const model = await modelOf(collection);
      const current = await model.find({ _id: { $in: list.map((c) => keyOf(tenantId, c.id)) }, tenantId }).lean<Row[]>();
      const byId = new Map(current.map((row) => [row.id as string, row]));
      for (const change of list) {
        const row = byId.get(change.id) ?? null;
        if (change.firstExpect === null && row) throw duplicate(collection, null);
        if (change.firstExpect !== null && (!row || row.version !== change.firstExpect)) throw conflict(collection, change.id);
        change.before = row;
      }
      const spec = models.get(collection)?.spec;
      const uniqueIndexes = (spec?.indexes ?? []).filter((index) => index.unique);
      const planKeys = list.map((c) => keyOf(tenantId, c.id));
      for (const change of list) {
        if (!change.final || !uniqueIndexes.length) continue;
        const previous = change.before && spec ? new Set(uniqueKeys(spec, change.before).map((u) => `${u.key}=${u.value}`)) : new Set<string>();
        for (const index of uniqueIndexes) {
          const key = `${collection}.${index.fields.join('+')}`;
          const unique = change.uniques.find((u) => u.key === key);
          if (unique && previous.has(`${unique.key}=${unique.value}`)) continue; // unchanged
          const query: Record<string, unknown> = { tenantId, _id: { $nin: planKeys } };
          for (const field of index.fields) query[field] = change.final[field] ?? null;
          if (await model.exists(query)) throw duplicate(collection, index.fields.join('+'));
        }
      }
    }
  };

  /**
   * Undoes whatever part of a write-ahead commit reached the database; idempotent. A document is
   * restored only while it is still exactly the one this commit wrote (version and updatedAt).
   * Raw driver collections: recovery may run before the collection's spec is known.
   */
  const rollBack = async (record: CommitRecord): Promise<void> => {
    for (const change of record.changes) {
      const raw = db.collection<Row>(change.collection);
      if (change.final) {
        const mine = { _id: keyOf(record.tenantId, change.id), version: change.final.version, updatedAt: change.final.updatedAt };
        if (change.before) await raw.replaceOne(mine, change.before);
        else await raw.deleteOne(mine);
      } else if (change.before) {
        await raw.insertOne(change.before).catch((error: unknown) => {
          if (!isDuplicateKey(error)) throw error;
        });
      }
    }
    if (record.outbox.length) await outbox.deleteMany({ _id: { $in: record.outbox.map((r) => r._id) } });
  };

  /** Re-applies a recorded commit after a crash; idempotent (full documents, upserts). */
  const rollForward = async (record: CommitRecord): Promise<void> => {
    for (const change of record.changes) {
      const raw = db.collection<Row>(change.collection);
      if (change.final) await raw.replaceOne({ _id: keyOf(record.tenantId, change.id) }, rowOf(change.final), { upsert: true });
      else await raw.deleteOne({ _id: keyOf(record.tenantId, change.id), tenantId: record.tenantId });
    }
    for (const row of record.outbox) await outbox.replaceOne({ _id: row._id }, row, { upsert: true });
  };

  const commitWriteAhead = async (plan: CommitPlan): Promise<void> => {
    const changes = collapse(plan);
    await precheck(changes, plan.tenantId);
    const rows = plan.events.length ? outboxRows(plan, await nextSeqs(plan.events.length)) : [];
    const record: CommitRecord = { _id: newId(), at: new Date(), state: 'applying', tenantId: plan.tenantId, changes, outbox: rows };
    await commits.insertOne(record);
    try {
      if (options.hooks?.beforeApply) await options.hooks.beforeApply(plan);
      await applyChanges(changes, rows, plan.tenantId);
    } catch (error) {
      await commits.updateOne({ _id: record._id }, { $set: { state: 'rolling-back' } });
      await rollBack(record);
      await commits.deleteOne({ _id: record._id });
      throw error;
    }
    await commits.deleteOne({ _id: record._id });
  };

  const commitSession = async (plan: CommitPlan): Promise<void> => {
    const changes = collapse(plan);
    await Promise.all([...new Set(changes.map((c) => c.collection))].map((c) => modelOf(c)));
    const session = await connection.startSession();
    try {
      await session.withTransaction(async () => {
        const rows = plan.events.length ? outboxRows(plan, await nextSeqs(plan.events.length, session)) : [];
        await applyChanges(changes, rows, plan.tenantId, session);
      });
    } finally {
      await session.endSession();
    }
  };

  /** Recovery of write-ahead commits left by a crash, oldest first. */
  const recover = async (): Promise<void> => {
    const pending = await commits.find({}).sort({ at: 1, _id: 1 }).toArray();
    for (const record of pending) {
      if (record.state === 'rolling-back') {
        await rollBack(record);
      } else {
        try {
          await rollForward(record);
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
          await rollBack(record);
        }
      }
      await commits.deleteOne({ _id: record._id });
    }
  };
  await recover();

  const reader = <T>(spec: CollectionSpec<T>): CollectionReader<T> => {
    const entry = register(spec);
    const model = async (): Promise<Model<Row>> => {
      await entry.ready;
      return entry.model;
    };
    const query = (scope: TenantScope, filter: Filter = {}): Record<string, unknown> => {
      checkFilter(filter);
      return { ...filter, tenantId: scope.tenantId };
    };
    return {
      async get(scope, id) {
        stats.roundTrips += 1;
        return strip<T>(await (await model()).findOne({ _id: keyOf(scope.tenantId, id), tenantId: scope.tenantId }).lean<Row>());
      },
      async getMany(scope, ids) {
        stats.roundTrips += 1;
        const rows = await (await model()).find({ _id: { $in: [...new Set(ids)].map((id) => keyOf(scope.tenantId, id)) }, tenantId: scope.tenantId }).lean<Row[]>();
        const byId = new Map(rows.map((row) => [row.id as string, row]));
        return ids.map((id) => strip<T>(byId.get(id)));
      },
      async find(scope, filter = {}, opts = {}) {
        stats.roundTrips += 1;
        let cursor = (await model()).find(query(scope, filter));
        if (opts.sort) cursor = cursor.sort({ [opts.sort.field]: opts.sort.direction, id: opts.sort.direction });
        if (opts.limit) cursor = cursor.limit(opts.limit);
        return (await cursor.lean<Row[]>()).map((row) => strip<T>(row) as Stored<T>);
      },
      async findOne(scope, filter) {
        stats.roundTrips += 1;
        return strip<T>(await (await model()).findOne(query(scope, filter)).lean<Row>());
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
        const rows = await (await model())
          .find(q)
          .sort({ [sort.field]: sort.direction, id: sort.direction })
          .limit(request.first + 1)
          .lean<Row[]>();
        const items = rows.slice(0, request.first).map((row) => strip<T>(row) as Stored<T>);
        const cursors = items.map((item) => encodeCursor((item as Record<string, unknown>)[sort.field], item.id));
        return { items, cursors, hasNextPage: rows.length > request.first, endCursor: cursors.at(-1) ?? null };
      },
      async count(scope, filter = {}) {
        stats.roundTrips += 1;
        return (await model()).countDocuments(query(scope, filter));
      },
    };
  };

  let closed = false;
  return {
    engine: 'mongo',
    stats,
    collection: reader,
    onCommit(listener) {
      commitListeners.push(listener);
    },
    async transaction(scope, txOptions, work) {
      const planner = createPlanner(scope, txOptions, provenance);
      // Every collection a transaction writes is registered, so its indexes exist before the write.
      const tx: Transaction = {
        insert<T>(spec: CollectionSpec<T>, doc: T & { id?: string }, record: Parameters<Transaction['insert']>[2]): Stored<T> {
          register(spec);
          return planner.tx.insert(spec, doc, record);
        },
        update<T>(spec: CollectionSpec<T>, existing: Stored<T>, patch: Partial<T>, record?: Parameters<Transaction['update']>[3]): Stored<T> {
          register(spec);
          return planner.tx.update(spec, existing, patch, record);
        },
        remove<T>(spec: CollectionSpec<T>, existing: Stored<T>): void {
          register(spec);
          planner.tx.remove(spec, existing);
        },
        emit: planner.tx.emit,
      };
      const result = await work(tx);
      const plan = planner.finish();
      if (!plan.puts.length && !plan.deletes.length && !plan.events.length) return result;
      stats.roundTrips += 1;
      if (useSessions) await commitSession(plan);
      else await serial(() => commitWriteAhead(plan));
      if (plan.events.length) for (const listener of commitListeners) listener();
      return result;
    },
    outbox: {
      async pending(limit): Promise<OutboxEntry[]> {
        const rows = await outbox.find({ pending: true }).sort({ seq: 1 }).limit(limit).toArray();
        return rows.map((row) => ({ seq: row.seq, envelope: row.envelope }));
      },
      async markPublished(seqs) {
        if (!seqs.length) return;
        await outbox.updateMany({ seq: { $in: seqs } }, { $unset: { pending: '' }, $set: { publishedAt: new Date().toISOString() } });
      },
      async since(scope, afterEventId, topics, limit) {
        const q: Record<string, unknown> = { tenantId: scope.tenantId, topic: { $in: [...topics] } };
        if (afterEventId) {
          // Commit order (seq) when the event is known; otherwise event ids are time-ordered ULIDs.
          const anchor = await outbox.findOne({ _id: afterEventId, tenantId: scope.tenantId });
          if (anchor) q.seq = { $gt: anchor.seq };
          else q._id = { $gt: afterEventId };
        }
        const rows = await outbox.find(q).sort({ seq: 1 }).limit(limit).toArray();
        return rows.map((row) => row.envelope);
      },
    },
    async health() {
      try {
        await db.admin().ping();
        return { ok: true, detail: `mongo ${dbName} (${useSessions ? 'session transactions' : 'write-ahead commits'})`, lastError: engineErrors.last };
      } catch (error) {
        engineErrors.record(error);
        return { ok: false, detail: `mongo ${dbName}: ${error instanceof Error ? error.message : String(error)}`, lastError: engineErrors.last };
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      closing = true;
      await chain;
      await connection.close();
    },
  };
};

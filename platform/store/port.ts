import type { EngineHealth } from '../engine-health.ts';
import type { TenantScope } from '../context.ts';
import type { EventDraft, EventEnvelope, EventActor } from '../events/envelope.ts';
import type { ProvenanceRecord } from '../provenance/provenance.ts';

/** Fields every stored document has. `tenantId` is set by the store from the scope, never by callers. */
export interface StoredMeta {
  id: string;
  tenantId: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  provenance: ProvenanceRecord;
}

export type Stored<T> = T & StoredMeta;

/** A collection's name and its indexes. Declared once; each adapter creates the indexes on start. */
export interface CollectionSpec<T> {
  name: string;
  indexes?: ReadonlyArray<{ fields: ReadonlyArray<keyof T & string>; unique?: boolean }>;
  /** Documentation only: the TypeScript shape. */
  readonly __shape?: T;
}

export const defineCollection = <T>(name: string, indexes: CollectionSpec<T>['indexes'] = []): CollectionSpec<T> => {
  if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`collection name must be snake_case: ${name}`);
  return { name, indexes };
};

type Scalar = string | number | boolean | null;

/** A Mongo-style filter, restricted to what every adapter supports. */
export type FilterValue = Scalar | { $in?: Scalar[]; $nin?: Scalar[]; $ne?: Scalar; $gt?: Scalar; $gte?: Scalar; $lt?: Scalar; $lte?: Scalar; $exists?: boolean };
export type Filter = Record<string, FilterValue>;

export type SortDirection = 1 | -1;

export interface PageRequest {
  first: number;
  after?: string | null;
  /** One sort field; ties are broken by id in the same direction. Default: createdAt descending. */
  sort?: { field: string; direction: SortDirection };
}

export interface Page<T> {
  items: Stored<T>[];
  cursors: string[];
  hasNextPage: boolean;
  endCursor: string | null;
}

/** Reads of one collection. Every call takes the tenant scope; there is no other way in. */
export interface CollectionReader<T> {
  get(scope: TenantScope, id: string): Promise<Stored<T> | null>;
  /** One round trip for all ids (for DataLoader). Result order matches `ids`; null where missing. */
  getMany(scope: TenantScope, ids: readonly string[]): Promise<Array<Stored<T> | null>>;
  find(scope: TenantScope, filter?: Filter, options?: { sort?: PageRequest['sort']; limit?: number }): Promise<Stored<T>[]>;
  findOne(scope: TenantScope, filter: Filter): Promise<Stored<T> | null>;
  page(scope: TenantScope, filter: Filter, request: PageRequest): Promise<Page<T>>;
  count(scope: TenantScope, filter?: Filter): Promise<number>;
}

/** Options of one transaction. `action` names the mutation for the audit record. */
export interface TransactionOptions {
  action: string;
  actor: EventActor;
  correlationId: string;
  /** Emit the mutation's audit record (default true). Off for consumers' own bookkeeping. */
  audit?: boolean;
}

/** Writes buffered in one transaction; applied atomically on commit, with their events. */
export interface Transaction {
  insert<T>(spec: CollectionSpec<T>, doc: T & { id?: string }, provenance: ProvenanceRecord): Stored<T>;
  /** Optimistic: fails with CONFLICT if the stored version is no longer `existing.version`. */
  update<T>(spec: CollectionSpec<T>, existing: Stored<T>, patch: Partial<T>, provenance?: ProvenanceRecord): Stored<T>;
  remove<T>(spec: CollectionSpec<T>, existing: Stored<T>): void;
  /** Appends an event to the outbox, committed with the documents. */
  emit<P extends Record<string, unknown>>(draft: EventDraft<P>, provenance: ProvenanceRecord): EventEnvelope<P>;
}

/** An outbox entry as the relay sees it. */
export interface OutboxEntry {
  seq: number;
  envelope: EventEnvelope;
}

/** The DocumentStore port. Adapters: embedded (NeDB files) and mongo (mongoose). */
export interface DocumentStore {
  readonly engine: string;
  collection<T>(spec: CollectionSpec<T>): CollectionReader<T>;
  /**
   * Runs `work`, then commits its buffered writes and events atomically, plus one audit event for
   * the mutation (before/after digests). Nothing is written if `work` throws.
   */
  transaction<R>(scope: TenantScope, options: TransactionOptions, work: (tx: Transaction) => Promise<R> | R): Promise<R>;
  /** The outbox, for the relay only: pending entries in commit order, across tenants, and acknowledgement. */
  outbox: {
    pending(limit: number): Promise<OutboxEntry[]>;
    markPublished(seqs: number[]): Promise<void>;
    /** Events of a tenant after a given event id, for subscription resume (oldest first). */
    since(scope: TenantScope, afterEventId: string | null, topics: readonly string[], limit: number): Promise<EventEnvelope[]>;
  };
  /** Called after every commit that appended events, so the relay can publish at once. */
  onCommit(listener: () => void): void;
  /** Store round trips since start: the N+1 benchmark reads this. */
  readonly stats: { roundTrips: number };
  /** Whether the engine answers now, and the last engine-level error the adapter observed. */
  health(): Promise<EngineHealth>;
  close(): Promise<void>;
}

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { systemScope, type TenantScope } from '../context.ts';
import { DomainError } from '../errors.ts';
import type { EventEnvelope } from '../events/envelope.ts';
import { newId } from '../ids.ts';
import { createProvenanceFactory } from '../provenance/provenance.ts';
import { defineCollection, type DocumentStore, type Stored, type TransactionOptions } from './port.ts';

/**
 * The DocumentStore contract: every adapter must pass it. `make` opens a fresh, empty store;
 * `reopen` (optional) opens the same data as a store that was just closed (restart test).
 */
export interface ContractThing {
  name: string;
  rank: number;
  group: string;
  tag?: string | null;
}

export interface ContractAccount {
  email: string;
  label: string;
}

export const contractThings = defineCollection<ContractThing>('contract_things', [{ fields: ['group', 'rank'] }]);
export const contractAccounts = defineCollection<ContractAccount>('contract_accounts', [{ fields: ['email'], unique: true }]);

const provenance = createProvenanceFactory('contract', 'test');
const record = (inputs: unknown = {}) => provenance.build({ method: 'HUMAN', inputs, explanation: 'contract test' }, 'corr-contract');
const opts = (action = 'contract.write'): TransactionOptions => ({ action, actor: { id: 'user-1', kind: 'user' }, correlationId: 'corr-contract' });

const codeOf = async (promise: Promise<unknown>): Promise<string> => {
  try {
    await promise;
  } catch (error) {
    return error instanceof DomainError ? error.code : `non-domain: ${String(error)}`;
  }
  return 'no error';
};

export const documentStoreContract = (
  name: string,
  make: () => Promise<DocumentStore>,
  reopen?: (closed: DocumentStore) => Promise<DocumentStore>,
): void => {
  describe(`DocumentStore contract: ${name}`, () => {
    let store: DocumentStore;
    let open: DocumentStore[];
    let a: TenantScope;
    let b: TenantScope;

    beforeEach(async () => {
      const run = newId().toLowerCase();
      a = systemScope(`tenant-a-${run}`, 'contract');
      b = systemScope(`tenant-b-${run}`, 'contract');
      store = await make();
      open = [store];
    });

    afterEach(async () => {
      for (const s of open) await s.close();
    });

    const insertThings = async (scope: TenantScope, things: ContractThing[]): Promise<Array<Stored<ContractThing>>> =>
      store.transaction(scope, opts('things.create'), (tx) => things.map((thing) => tx.insert(contractThings, thing, record(thing))));

    it('creates, reads, updates and removes documents through transactions', async () => {
      const created = await store.transaction(a, opts('things.create'), (tx) => tx.insert(contractThings, { name: 'alpha', rank: 1, group: 'g1' }, record()));
      expect(created).toMatchObject({ name: 'alpha', rank: 1, group: 'g1', tenantId: a.tenantId, version: 1 });
      expect(created.id).toMatch(/^[0-9A-Z]{26}$/);
      expect(created.provenance.subgraph).toBe('contract');

      const read = await store.collection(contractThings).get(a, created.id);
      expect(read).toEqual(created);

      const updated = await store.transaction(a, opts('things.rename'), (tx) => tx.update(contractThings, created, { name: 'beta' }));
      expect(updated).toMatchObject({ name: 'beta', version: 2, createdAt: created.createdAt });
      expect(await store.collection(contractThings).get(a, created.id)).toEqual(updated);

      await store.transaction(a, opts('things.remove'), (tx) => tx.remove(contractThings, updated));
      expect(await store.collection(contractThings).get(a, created.id)).toBeNull();
      expect(await store.collection(contractThings).count(a)).toBe(0);
    });

    it('stores nested values exactly, empty objects and arrays included, on insert and on update', async () => {
      const nested = defineCollection<{ deployed: Record<string, number>; tags: string[]; meta: { inner: Record<string, never>; list: number[][] } }>('contract_nested');
      const created = await store.transaction(a, opts(), (tx) => tx.insert(nested, { deployed: {}, tags: [], meta: { inner: {}, list: [[]] } }, record()));
      const read = await store.collection(nested).get(a, created.id);
      expect(read).toEqual(created);
      expect(read?.deployed).toEqual({});
      expect(read?.meta).toEqual({ inner: {}, list: [[]] });
      const updated = await store.transaction(a, opts(), (tx) => tx.update(nested, created, { deployed: { DEV: 1 }, meta: { inner: {}, list: [] } }));
      expect(await store.collection(nested).get(a, created.id)).toEqual(updated);
      const emptied = await store.transaction(a, opts(), (tx) => tx.update(nested, updated, { deployed: {} }));
      expect((await store.collection(nested).get(a, created.id))?.deployed).toEqual({});
      expect(emptied.deployed).toEqual({});
    });

    it('returns what the work returns, keeps caller ids, and writes nothing for an empty transaction', async () => {
      const id = newId();
      const result = await store.transaction(a, opts(), (tx) => {
        tx.insert(contractThings, { id, name: 'fixed', rank: 1, group: 'g' }, record());
        return 'done';
      });
      expect(result).toBe('done');
      expect((await store.collection(contractThings).get(a, id))?.name).toBe('fixed');
      const before = (await store.outbox.pending(1000)).length;
      expect(await store.transaction(a, opts(), () => 42)).toBe(42);
      expect((await store.outbox.pending(1000)).length).toBe(before);
    });

    it('applies a document inserted and updated in the same transaction', async () => {
      const final = await store.transaction(a, opts(), (tx) => {
        const first = tx.insert(contractThings, { name: 'v1', rank: 1, group: 'g' }, record());
        return tx.update(contractThings, first, { name: 'v2' });
      });
      expect(final.version).toBe(2);
      expect(await store.collection(contractThings).get(a, final.id)).toEqual(final);
    });

    it('getMany answers in the order asked, with null for missing ids, in one round trip', async () => {
      const [x, y] = await insertThings(a, [
        { name: 'x', rank: 1, group: 'g' },
        { name: 'y', rank: 2, group: 'g' },
      ]);
      const before = store.stats.roundTrips;
      const many = await store.collection(contractThings).getMany(a, [y.id, 'missing', x.id, y.id]);
      expect(store.stats.roundTrips).toBe(before + 1);
      expect(many.map((d) => d?.name ?? null)).toEqual(['y', null, 'x', 'y']);
    });

    it('filters with equality, $in, $nin, $ne, $gt, $gte, $lt, $lte and $exists', async () => {
      await insertThings(a, [
        { name: 'n1', rank: 1, group: 'red', tag: 'hot' },
        { name: 'n2', rank: 2, group: 'red' },
        { name: 'n3', rank: 3, group: 'blue', tag: 'cold' },
        { name: 'n4', rank: 4, group: 'green', tag: 'hot' },
        { name: 'n5', rank: 5, group: 'blue' },
      ]);
      const things = store.collection(contractThings);
      const names = async (filter: Parameters<typeof things.find>[1]): Promise<string[]> => (await things.find(a, filter)).map((t) => t.name).sort();
      expect(await names({ group: 'red' })).toEqual(['n1', 'n2']);
      expect(await names({ group: { $in: ['red', 'green'] } })).toEqual(['n1', 'n2', 'n4']);
      expect(await names({ group: { $nin: ['red', 'green'] } })).toEqual(['n3', 'n5']);
      expect(await names({ group: { $ne: 'blue' } })).toEqual(['n1', 'n2', 'n4']);
      expect(await names({ rank: { $gt: 3 } })).toEqual(['n4', 'n5']);
      expect(await names({ rank: { $gte: 3 } })).toEqual(['n3', 'n4', 'n5']);
      expect(await names({ rank: { $lt: 2 } })).toEqual(['n1']);
      expect(await names({ rank: { $lte: 2 } })).toEqual(['n1', 'n2']);
      expect(await names({ rank: { $gt: 1, $lt: 5 }, group: 'blue' })).toEqual(['n3']);
      expect(await names({ tag: { $exists: true } })).toEqual(['n1', 'n3', 'n4']);
      expect(await names({ tag: { $exists: false } })).toEqual(['n2', 'n5']);
      expect(await names({})).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
      expect(await things.count(a, { tag: 'hot' })).toBe(2);
      expect(await things.count(a)).toBe(5);
      expect((await things.findOne(a, { rank: 3 }))?.name).toBe('n3');
      expect(await things.findOne(a, { rank: 99 })).toBeNull();
    });

    it('refuses filters on tenantId, _id or operators', async () => {
      const things = store.collection(contractThings);
      await expect(things.find(a, { tenantId: b.tenantId })).rejects.toThrow(/reserved/);
      await expect(things.count(a, { _id: 'x' })).rejects.toThrow(/reserved/);
      await expect(things.findOne(a, { $where: 'true' })).rejects.toThrow(/reserved/);
    });

    it('sorts by a field in both directions, ties broken by id, and limits', async () => {
      await insertThings(a, [
        { name: 'c', rank: 3, group: 'g' },
        { name: 'a', rank: 1, group: 'g' },
        { name: 'b', rank: 2, group: 'g' },
        { name: 'b2', rank: 2, group: 'g' },
      ]);
      const things = store.collection(contractThings);
      const asc = await things.find(a, {}, { sort: { field: 'rank', direction: 1 } });
      expect(asc.map((t) => t.rank)).toEqual([1, 2, 2, 3]);
      const tied = asc.filter((t) => t.rank === 2).map((t) => t.id);
      expect(tied).toEqual([...tied].sort());
      const desc = await things.find(a, {}, { sort: { field: 'rank', direction: -1 }, limit: 2 });
      expect(desc.map((t) => t.id)).toEqual([asc[3].id, tied[1]]);
      const byName = await things.find(a, {}, { sort: { field: 'name', direction: 1 }, limit: 3 });
      expect(byName.map((t) => t.name)).toEqual(['a', 'b', 'b2']);
    });

    it('pages through every document once, in order, for default and custom sorts', async () => {
      const all = await insertThings(
        a,
        Array.from({ length: 23 }, (_, i) => ({ name: `p${String(i).padStart(2, '0')}`, rank: i % 4, group: i % 2 ? 'odd' : 'even' })),
      );
      await insertThings(b, [{ name: 'other tenant', rank: 1, group: 'odd' }]);
      const things = store.collection(contractThings);
      const sorts = [undefined, { field: 'rank', direction: 1 as const }, { field: 'rank', direction: -1 as const }, { field: 'name', direction: -1 as const }];
      for (const sort of sorts) {
        const seen: string[] = [];
        let after: string | null = null;
        let pages = 0;
        for (;;) {
          const page = await things.page(a, {}, { first: 5, after, sort });
          pages += 1;
          expect(page.items.length).toBe(page.cursors.length);
          expect(page.endCursor).toBe(page.cursors.at(-1) ?? null);
          seen.push(...page.items.map((item) => item.id));
          if (!page.hasNextPage) break;
          expect(page.items.length).toBe(5);
          after = page.endCursor;
        }
        expect(pages).toBe(5);
        expect(new Set(seen).size).toBe(23);
        expect([...seen].sort()).toEqual(all.map((t) => t.id).sort());
        const full = await things.find(a, {}, { sort: sort ?? { field: 'createdAt', direction: -1 } });
        expect(seen).toEqual(full.map((t) => t.id));
      }
      // A filter applies across pages too; a cursor from an edge resumes right after that edge.
      const odd = await things.page(a, { group: 'odd' }, { first: 4, sort: { field: 'name', direction: 1 } });
      expect(odd.items.map((t) => t.name)).toEqual(['p01', 'p03', 'p05', 'p07']);
      const resumed = await things.page(a, { group: 'odd' }, { first: 2, after: odd.cursors[1], sort: { field: 'name', direction: 1 } });
      expect(resumed.items.map((t) => t.name)).toEqual(['p05', 'p07']);
      expect(resumed.hasNextPage).toBe(true);
      const empty = await things.page(a, {}, { first: 0 });
      expect(empty).toMatchObject({ items: [], hasNextPage: true, endCursor: null });
      expect(await codeOf(things.page(a, {}, { first: 5, after: 'not-a-cursor' }))).toBe('BAD_USER_INPUT');
    });

    it('rejects an update or removal from a stale version with CONFLICT', async () => {
      const [doc] = await insertThings(a, [{ name: 'shared', rank: 1, group: 'g' }]);
      const first = store.transaction(a, opts(), (tx) => tx.update(contractThings, doc, { name: 'first' }));
      const second = store.transaction(a, opts(), (tx) => tx.update(contractThings, doc, { name: 'second' }));
      const results = await Promise.allSettled([first, second]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(rejected?.reason).toBeInstanceOf(DomainError);
      expect((rejected?.reason as DomainError).code).toBe('CONFLICT');
      const current = await store.collection(contractThings).get(a, doc.id);
      expect(current?.version).toBe(2);
      expect(['first', 'second']).toContain(current?.name);
      expect(await codeOf(store.transaction(a, opts(), (tx) => tx.remove(contractThings, doc)))).toBe('CONFLICT');
      expect(await store.collection(contractThings).get(a, doc.id)).not.toBeNull();
    });

    it('enforces unique indexes per tenant and rolls back the whole transaction on a violation', async () => {
      const accounts = store.collection(contractAccounts);
      const [taken] = await store.transaction(a, opts(), (tx) => [tx.insert(contractAccounts, { email: 'x@example.com', label: 'first' }, record())]);
      const pendingBefore = (await store.outbox.pending(1000)).length;
      const code = await codeOf(
        store.transaction(a, opts(), (tx) => {
          tx.insert(contractThings, { name: 'side effect', rank: 1, group: 'g' }, record());
          tx.insert(contractAccounts, { email: 'y@example.com', label: 'fine' }, record());
          tx.insert(contractAccounts, { email: 'x@example.com', label: 'duplicate' }, record());
          tx.emit({ type: 'contract.account.created', topic: 'org_events', subject: { typename: 'Account', id: 'dup' }, payload: {} }, record());
        }),
      );
      expect(code).toBe('ALREADY_EXISTS');
      expect(await accounts.count(a)).toBe(1);
      expect(await accounts.findOne(a, { email: 'y@example.com' })).toBeNull();
      expect(await store.collection(contractThings).count(a)).toBe(0);
      expect((await store.outbox.pending(1000)).length).toBe(pendingBefore);

      // Two new documents with the same value in one transaction.
      expect(
        await codeOf(
          store.transaction(a, opts(), (tx) => {
            tx.insert(contractAccounts, { email: 'z@example.com', label: '1' }, record());
            tx.insert(contractAccounts, { email: 'z@example.com', label: '2' }, record());
          }),
        ),
      ).toBe('ALREADY_EXISTS');
      expect(await accounts.count(a)).toBe(1);

      // Per tenant: another organization may use the same value.
      await store.transaction(b, opts(), (tx) => tx.insert(contractAccounts, { email: 'x@example.com', label: 'b' }, record()));
      expect(await accounts.count(b)).toBe(1);

      // Updating into a taken value fails; keeping one's own value, or moving to a free one, works.
      const other = await store.transaction(a, opts(), (tx) => tx.insert(contractAccounts, { email: 'w@example.com', label: 'other' }, record()));
      expect(await codeOf(store.transaction(a, opts(), (tx) => tx.update(contractAccounts, other, { email: 'x@example.com' })))).toBe('ALREADY_EXISTS');
      const relabeled = await store.transaction(a, opts(), (tx) => tx.update(contractAccounts, taken, { label: 'relabeled' }));
      const moved = await store.transaction(a, opts(), (tx) => tx.update(contractAccounts, relabeled, { email: 'v@example.com' }));
      // The old value is free again, and so is a removed document's.
      await store.transaction(a, opts(), (tx) => tx.insert(contractAccounts, { email: 'x@example.com', label: 'reuse' }, record()));
      await store.transaction(a, opts(), (tx) => tx.remove(contractAccounts, moved));
      await store.transaction(a, opts(), (tx) => tx.insert(contractAccounts, { email: 'v@example.com', label: 'reuse 2' }, record()));
      expect((await accounts.find(a, {}, { sort: { field: 'email', direction: 1 } })).map((d) => d.email)).toEqual(['v@example.com', 'w@example.com', 'x@example.com']);
    });

    it('lets a transaction free a unique value and give it to another document', async () => {
      const accounts = store.collection(contractAccounts);
      const old = await store.transaction(a, opts(), (tx) => tx.insert(contractAccounts, { email: 'swap@example.com', label: 'old' }, record()));
      await store.transaction(a, opts(), (tx) => {
        tx.update(contractAccounts, old, { email: 'retired@example.com' });
        tx.insert(contractAccounts, { email: 'swap@example.com', label: 'new' }, record());
      });
      expect((await accounts.findOne(a, { email: 'swap@example.com' }))?.label).toBe('new');
      expect(await codeOf(store.transaction(a, opts(), (tx) => tx.insert(contractAccounts, { email: 'swap@example.com', label: 'third' }, record())))).toBe('ALREADY_EXISTS');
      expect(await codeOf(store.transaction(a, opts(), (tx) => tx.insert(contractAccounts, { email: 'retired@example.com', label: 'third' }, record())))).toBe('ALREADY_EXISTS');
    });

    it('isolates tenants on every read and write', async () => {
      const [doc] = await insertThings(a, [{ name: 'secret', rank: 7, group: 'g' }]);
      await store.transaction(a, opts(), (tx) => tx.emit({ type: 'contract.thing.touched', topic: 'org_events', subject: { typename: 'Thing', id: doc.id }, payload: {} }, record()));
      const things = store.collection(contractThings);
      expect(await things.get(b, doc.id)).toBeNull();
      expect(await things.getMany(b, [doc.id])).toEqual([null]);
      expect(await things.find(b)).toEqual([]);
      expect(await things.find(b, { name: 'secret' })).toEqual([]);
      expect(await things.findOne(b, { name: 'secret' })).toBeNull();
      expect((await things.page(b, {}, { first: 10 })).items).toEqual([]);
      expect(await things.count(b)).toBe(0);
      expect(await store.outbox.since(b, null, ['org_events', 'audit_events'], 100)).toEqual([]);

      // Through the API, B cannot touch A's document even holding it...
      expect(await codeOf(store.transaction(b, opts(), (tx) => tx.update(contractThings, doc, { name: 'stolen' })))).toBe('NOT_FOUND');
      expect(await codeOf(store.transaction(b, opts(), (tx) => tx.remove(contractThings, doc)))).toBe('NOT_FOUND');
      // ...nor with a forged tenantId.
      const forged = { ...doc, tenantId: b.tenantId };
      expect(['NOT_FOUND', 'CONFLICT']).toContain(await codeOf(store.transaction(b, opts(), (tx) => tx.update(contractThings, forged, { name: 'stolen' }))));
      expect(['NOT_FOUND', 'CONFLICT']).toContain(await codeOf(store.transaction(b, opts(), (tx) => tx.remove(contractThings, forged))));
      expect(await things.get(a, doc.id)).toEqual(doc);
      expect(await things.count(b)).toBe(0);

      // Ids are per tenant: B may hold a document with the same id; it is B's own, and A's is untouched.
      const mine = await store.transaction(b, opts(), (tx) => tx.insert(contractThings, { id: doc.id, name: 'b own', rank: 0, group: 'g' }, record()));
      expect(await things.get(b, doc.id)).toEqual(mine);
      expect(await things.get(a, doc.id)).toEqual(doc);
      const renamed = await store.transaction(b, opts(), (tx) => tx.update(contractThings, mine, { name: 'b renamed' }));
      await store.transaction(b, opts(), (tx) => tx.remove(contractThings, renamed));
      expect(await things.get(a, doc.id)).toEqual(doc);
      expect(await things.getMany(a, [doc.id])).toEqual([doc]);
      expect(await things.count(b)).toBe(0);
    });

    it('appends events to the outbox with the documents, in commit order, until published', async () => {
      const seen: number[] = [];
      store.onCommit(() => seen.push(1));
      const emitted: EventEnvelope[] = [];
      const doc = await store.transaction(a, opts('things.create'), (tx) => {
        const thing = tx.insert(contractThings, { name: 'evented', rank: 1, group: 'g' }, record());
        emitted.push(tx.emit({ type: 'contract.thing.created', topic: 'org_events', subject: { typename: 'Thing', id: thing.id }, payload: { name: thing.name } }, record()));
        emitted.push(tx.emit({ type: 'contract.thing.noticed', topic: 'support_events', subject: { typename: 'Thing', id: thing.id }, payload: {} }, record()));
        return thing;
      });
      await store.transaction(b, opts('things.ping'), (tx) => {
        emitted.push(tx.emit({ type: 'contract.thing.pinged', topic: 'org_events', subject: { typename: 'Thing', id: 'b1' }, payload: {} }, record()));
      });
      expect(seen.length).toBe(2);
      expect(emitted[0]).toMatchObject({ tenantId: a.tenantId, topic: 'org_events', subject: { typename: 'Thing', id: doc.id }, actor: { id: 'user-1', kind: 'user' }, correlationId: 'corr-contract', schemaVersion: 1 });

      const pending = await store.outbox.pending(100);
      const types = pending.map((p) => p.envelope.type);
      // Commit order: A's two events and A's audit record, then B's event (no audit: no document changed).
      expect(types).toEqual(['contract.thing.created', 'contract.thing.noticed', 'audit.recorded', 'contract.thing.pinged']);
      const seqs = pending.map((p) => p.seq);
      expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(pending[0].envelope).toEqual(emitted[0]);
      const audit = pending[2].envelope;
      expect(audit).toMatchObject({ topic: 'audit_events', tenantId: a.tenantId, subject: { typename: 'Thing', id: doc.id }, payload: { action: 'things.create' } });
      expect((await store.outbox.pending(2)).map((p) => p.seq)).toEqual(seqs.slice(0, 2));

      // since(): one tenant's events after an id, oldest first, only the topics asked for.
      const sinceA = await store.outbox.since(a, null, ['org_events', 'support_events'], 100);
      expect(sinceA.map((e) => e.type)).toEqual(['contract.thing.created', 'contract.thing.noticed']);
      expect((await store.outbox.since(a, emitted[0].id, ['org_events', 'support_events'], 100)).map((e) => e.type)).toEqual(['contract.thing.noticed']);
      expect((await store.outbox.since(a, null, ['support_events'], 100)).map((e) => e.type)).toEqual(['contract.thing.noticed']);
      expect((await store.outbox.since(a, null, ['org_events', 'support_events', 'audit_events'], 2)).length).toBe(2);
      expect((await store.outbox.since(b, null, ['org_events'], 100)).map((e) => e.type)).toEqual(['contract.thing.pinged']);

      await store.outbox.markPublished(seqs.slice(0, 2));
      expect((await store.outbox.pending(100)).map((p) => p.seq)).toEqual(seqs.slice(2));
      await store.outbox.markPublished([]);
      await store.outbox.markPublished(seqs.slice(2));
      expect(await store.outbox.pending(100)).toEqual([]);
      // Published events stay available for resume.
      expect((await store.outbox.since(a, null, ['org_events'], 100)).map((e) => e.id)).toEqual([emitted[0].id]);
    });

    it('writes neither documents nor events when the work throws', async () => {
      const pendingBefore = (await store.outbox.pending(1000)).length;
      let commits = 0;
      store.onCommit(() => (commits += 1));
      await expect(
        store.transaction(a, opts(), (tx) => {
          tx.insert(contractThings, { name: 'ghost', rank: 1, group: 'g' }, record());
          tx.emit({ type: 'contract.ghost', topic: 'org_events', subject: { typename: 'Thing', id: 'ghost' }, payload: {} }, record());
          throw new Error('work failed');
        }),
      ).rejects.toThrow('work failed');
      await expect(
        store.transaction(a, opts(), async (tx) => {
          tx.insert(contractThings, { name: 'ghost 2', rank: 1, group: 'g' }, record());
          await Promise.resolve();
          throw new DomainError('FORBIDDEN', 'nope');
        }),
      ).rejects.toThrow('nope');
      expect(await store.collection(contractThings).count(a)).toBe(0);
      expect((await store.outbox.pending(1000)).length).toBe(pendingBefore);
      expect(await store.outbox.since(a, null, ['org_events'], 10)).toEqual([]);
      expect(commits).toBe(0);
    });

    it('counts round trips per call and reports health', async () => {
      const before = store.stats.roundTrips;
      await store.collection(contractThings).find(a);
      await store.collection(contractThings).count(a);
      expect(store.stats.roundTrips).toBe(before + 2);
      const health = await store.health();
      expect(health.ok).toBe(true);
      expect(health.detail.length).toBeGreaterThan(0);
    });

    if (reopen) {
      it('keeps documents, the outbox and its order across a restart', async () => {
        const docs = await insertThings(a, [
          { name: 'durable 1', rank: 1, group: 'g' },
          { name: 'durable 2', rank: 2, group: 'g' },
        ]);
        await store.transaction(a, opts(), (tx) => tx.emit({ type: 'contract.durable', topic: 'org_events', subject: { typename: 'Thing', id: docs[0].id }, payload: {} }, record()));
        const account = await store.transaction(a, opts(), (tx) => tx.insert(contractAccounts, { email: 'keep@example.com', label: 'k' }, record()));
        const pendingBefore = await store.outbox.pending(100);
        await store.outbox.markPublished([pendingBefore[0].seq]);
        const remaining = pendingBefore.slice(1);

        await store.close();
        open = [];
        store = await reopen(store);
        open = [store];

        expect(await store.collection(contractThings).getMany(a, docs.map((d) => d.id))).toEqual(docs);
        expect(await store.outbox.pending(100)).toEqual(remaining);
        // The unique index survived, and new commits continue the sequence without reusing a seq.
        expect(await codeOf(store.transaction(a, opts(), (tx) => tx.insert(contractAccounts, { email: 'keep@example.com', label: 'again' }, record())))).toBe('ALREADY_EXISTS');
        await store.transaction(a, opts(), (tx) => tx.update(contractAccounts, account, { label: 'after restart' }));
        const after = await store.outbox.pending(100);
        const seqs = after.map((p) => p.seq);
        expect(new Set(seqs).size).toBe(seqs.length);
        expect(Math.min(...seqs.slice(remaining.length))).toBeGreaterThan(Math.max(...pendingBefore.map((p) => p.seq)));
      });
    }
  });
};

import { afterAll, describe, expect, it } from '@jest/globals';
import mongoose from 'mongoose';
import { systemScope } from '../context.ts';
import { DomainError } from '../errors.ts';
import { newId } from '../ids.ts';
import { createProvenanceFactory } from '../provenance/provenance.ts';
import { contractAccounts, contractThings, documentStoreContract } from './contract.ts';
import { createMongoStore, type MongoStoreOptions } from './mongo.ts';
import type { DocumentStore } from './port.ts';

const maybe = process.env.MONGODB_URI ? describe : describe.skip;
const uri = process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27017';
const run = newId().toLowerCase().slice(-10);
const databases: string[] = [];
const names = new WeakMap<DocumentStore, MongoStoreOptions>();
let counter = 0;

const open = async (extra: Partial<MongoStoreOptions> = {}): Promise<DocumentStore> => {
  counter += 1;
  const options: MongoStoreOptions = { uri, name: 'contract', dbName: `mesh_test_${run}_${counter}`, ...extra };
  databases.push(options.dbName as string);
  const store = await createMongoStore(options);
  names.set(store, options);
  return store;
};

const reopen = async (closed: DocumentStore): Promise<DocumentStore> => {
  const options = names.get(closed);
  if (!options) throw new Error('unknown store');
  const store = await createMongoStore(options);
  names.set(store, options);
  return store;
};

const provenance = createProvenanceFactory('contract', 'test');
const record = () => provenance.build({ method: 'HUMAN', inputs: {}, explanation: 'test' }, 'c');
const txOptions = { action: 'test', actor: { id: 'u', kind: 'user' as const }, correlationId: 'c' };

maybe('mongo store', () => {
  afterAll(async () => {
    if (!databases.length) return;
    const connection = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 5000 }).asPromise();
    for (const name of databases) await connection.useDb(name).dropDatabase().catch(() => undefined);
    await connection.close();
  });

  documentStoreContract('mongo', () => open(), reopen);

  it('fails fast, naming MONGODB_URI, when the server cannot be reached', async () => {
    await expect(createMongoStore({ uri: 'mongodb://user:secret@127.0.0.1:1', name: 'x', serverSelectionTimeoutMS: 500 })).rejects.toThrow(/^MONGODB_URI: cannot reach MongoDB at mongodb:\/\/\*\*\*@127\.0\.0\.1:1/);
  });

  it("uses session transactions only where the server has them, and refuses a forced 'session' mode elsewhere", async () => {
    const store = await open();
    const { detail } = await store.health();
    await store.close();
    if (detail.includes('write-ahead')) {
      await expect(open({ transactions: 'session' })).rejects.toThrow(/^MONGODB_URI: .* does not support multi-document transactions/);
    } else {
      expect(detail).toMatch(/session transactions/);
    }
  });

  it('creates the spec indexes with tenantId first, unique per tenant', async () => {
    const store = await open();
    try {
      const scope = systemScope(`t-${run}`, 'test');
      await store.collection(contractAccounts).count(scope);
      await store.collection(contractThings).count(scope);
      const options = names.get(store) as MongoStoreOptions;
      const connection = await mongoose.createConnection(uri).asPromise();
      const db = connection.useDb(options.dbName as string).db;
      const accountIndexes = await db?.collection('contract_accounts').indexes();
      const thingIndexes = await db?.collection('contract_things').indexes();
      await connection.close();
      expect(accountIndexes?.find((i) => i.key.email === 1)).toMatchObject({ key: { tenantId: 1, email: 1 }, unique: true });
      expect(thingIndexes?.find((i) => i.key.rank === 1)).toMatchObject({ key: { tenantId: 1, group: 1, rank: 1 } });
      expect(thingIndexes?.find((i) => i.key.rank === 1)?.unique).toBeFalsy();
    } finally {
      await store.close();
    }
  });

  it('write-ahead mode: rolls back the applied part when another writer wins between check and apply', async () => {
    let interfere: (() => Promise<void>) | null = null;
    const store = await open({
      transactions: 'write-ahead',
      hooks: {
        beforeApply: async () => {
          const next = interfere;
          interfere = null;
          if (next) await next();
        },
      },
    });
    const options = names.get(store) as MongoStoreOptions;
    const rival = await createMongoStore({ uri, name: 'contract', dbName: options.dbName, transactions: 'write-ahead' });
    try {
      const scope = systemScope(`t-${run}`, 'test');
      const [first, second] = await store.transaction(scope, txOptions, (tx) => [
        tx.insert(contractThings, { name: 'one', rank: 1, group: 'g' }, record()),
        tx.insert(contractThings, { name: 'two', rank: 2, group: 'g' }, record()),
      ]);
      const pendingBefore = await store.outbox.pending(100);
      // The rival updates `second` after our check passed: our update of `first` must be undone.
      interfere = async () => {
        await rival.transaction(scope, txOptions, (tx) => tx.update(contractThings, second, { name: 'rival' }));
      };
      const failure = await store
        .transaction(scope, txOptions, (tx) => {
          tx.update(contractThings, first, { name: 'one changed' });
          tx.update(contractThings, second, { name: 'two changed' });
          tx.insert(contractThings, { name: 'three', rank: 3, group: 'g' }, record());
          tx.emit({ type: 'test.changed', topic: 'org_events', subject: { typename: 'Thing', id: first.id }, payload: {} }, record());
        })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(DomainError);
      expect((failure as DomainError).code).toBe('CONFLICT');
      const things = store.collection(contractThings);
      expect(await things.get(scope, first.id)).toEqual(first);
      expect((await things.get(scope, second.id))?.name).toBe('rival');
      expect(await things.count(scope)).toBe(2);
      const pendingAfter = await store.outbox.pending(100);
      expect(pendingAfter.map((p) => p.envelope.type).filter((t) => t === 'test.changed')).toEqual([]);
      expect(pendingAfter.length).toBe(pendingBefore.length + 1); // the rival's audit record only
    } finally {
      await rival.close();
      await store.close();
    }
  });

  it('write-ahead mode: rolls forward a commit record left by a crash, and undoes one left mid-rollback', async () => {
    const store = await open({ transactions: 'write-ahead' });
    const options = names.get(store) as MongoStoreOptions;
    const scope = systemScope(`t-${run}`, 'test');
    const kept = await store.transaction(scope, txOptions, (tx) => tx.insert(contractThings, { name: 'kept', rank: 1, group: 'g' }, record()));
    await store.close();

    const connection = await mongoose.createConnection(uri).asPromise();
    const db = connection.useDb(options.dbName as string).db;
    if (!db) throw new Error('no db');
    const at = '2026-01-01T00:00:00.000Z';
    const crashedId = newId();
    const crashed = { id: crashedId, tenantId: scope.tenantId, version: 1, createdAt: at, updatedAt: at, name: 'from crash', rank: 9, group: 'g' };
    const eventId = newId();
    const keptChanged = { ...kept, name: 'half-written', version: 2, updatedAt: at };
    await db.collection('contract_things').replaceOne({ _id: `${scope.tenantId}:${kept.id}` } as never, { ...keptChanged, _id: `${scope.tenantId}:${kept.id}` });
    await db.collection('__commits').insertMany([
      {
        _id: 'c1' as never,
        at: new Date(1),
        state: 'applying',
        tenantId: scope.tenantId,
        changes: [{ collection: 'contract_things', id: crashedId, firstExpect: null, final: crashed, uniques: [], before: null }],
        outbox: [{ _id: eventId, seq: 1000, tenantId: scope.tenantId, topic: 'org_events', pending: true, envelope: { id: eventId, type: 'test.crashed', topic: 'org_events', tenantId: scope.tenantId } }],
      },
      {
        _id: 'c2' as never,
        at: new Date(2),
        state: 'rolling-back',
        tenantId: scope.tenantId,
        changes: [{ collection: 'contract_things', id: kept.id, firstExpect: 1, final: keptChanged, uniques: [], before: { ...kept, _id: `${scope.tenantId}:${kept.id}` } }],
        outbox: [],
      },
    ]);
    await connection.close();

    const recovered = await reopen(store);
    try {
      const things = recovered.collection(contractThings);
      expect((await things.get(scope, crashedId))?.name).toBe('from crash');
      expect(await things.get(scope, kept.id)).toEqual(kept);
      expect((await recovered.outbox.pending(100)).map((p) => p.envelope.type)).toContain('test.crashed');
      expect((await recovered.health()).detail).toMatch(/write-ahead/);
    } finally {
      await recovered.close();
    }
  });
});

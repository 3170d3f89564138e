import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import NedbModule from '@seald-io/nedb';
import { systemScope } from '../context.ts';
import { newId } from '../ids.ts';
import { contractThings, documentStoreContract } from './contract.ts';
import { createEmbeddedStore } from './embedded.ts';
import type { DocumentStore } from './port.ts';

// NeDB is CommonJS with an `export default` typing: at runtime the default import is the class itself.
type NedbClass = typeof NedbModule.default;
const Datastore: NedbClass = (NedbModule as unknown as { default?: NedbClass }).default ?? (NedbModule as unknown as NedbClass);

const dirs: string[] = [];
const locations = new WeakMap<DocumentStore, { dataDir: string; name: string }>();

const make = async (): Promise<DocumentStore> => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'mesh-embedded-'));
  dirs.push(dataDir);
  const store = await createEmbeddedStore({ dataDir, name: 'contract' });
  locations.set(store, { dataDir, name: 'contract' });
  return store;
};

const reopen = async (closed: DocumentStore): Promise<DocumentStore> => {
  const location = locations.get(closed);
  if (!location) throw new Error('unknown store');
  const store = await createEmbeddedStore(location);
  locations.set(store, location);
  return store;
};

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

documentStoreContract('embedded (NeDB)', make, reopen);

describe('embedded store: crash recovery', () => {
  it('re-applies a write-ahead commit record left by a crash, and continues the outbox sequence after it', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'mesh-embedded-crash-'));
    dirs.push(dataDir);
    const tenantId = `t-${newId()}`;
    // Simulate a crash between "record written" and "applied": only the commit record is in the file.
    const raw = new Datastore({ filename: path.join(dataDir, 'crash.db') });
    await raw.loadDatabaseAsync();
    const id = newId();
    const eventId = newId();
    const doc = { id, tenantId, version: 1, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', name: 'recovered', rank: 1, group: 'g' };
    const envelope = { id: eventId, type: 'contract.recovered', topic: 'org_events', tenantId };
    await raw.insertAsync({
      _id: `__commit:${eventId}`,
      _ct: '__commit',
      at: Date.now(),
      rows: [
        { ...doc, _id: `contract_things:${tenantId}:${id}`, _ct: `contract_things|${tenantId}` },
        { _id: `__outbox:${eventId}`, _ct: '__outbox', seq: 7, _pending: true, tenantId, topic: 'org_events', eventId, envelope },
      ],
      removeIds: [],
    });
    await raw.compactDatafileAsync();

    const store = await createEmbeddedStore({ dataDir, name: 'crash' });
    try {
      const scope = systemScope(tenantId, 'test');
      expect((await store.collection(contractThings).get(scope, id))?.name).toBe('recovered');
      await store.transaction(scope, { action: 'after', actor: { id: 'u', kind: 'user' }, correlationId: 'c' }, (tx) =>
        tx.emit({ type: 'contract.after', topic: 'org_events', subject: { typename: 'Thing', id }, payload: {} }, { subgraph: 's', engine: 'e', method: 'SYSTEM', model: null, modelVersion: null, computedAt: doc.createdAt, confidence: null, inputsDigest: 'x', explanation: 'x', correlationId: 'c' }),
      );
      const pending = await store.outbox.pending(10);
      expect(pending.map((p) => [p.seq, p.envelope.type])).toEqual([
        [7, 'contract.recovered'],
        [8, 'contract.after'],
      ]);
    } finally {
      await store.close();
    }
  });
});

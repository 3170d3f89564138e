import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from './config.ts';
import { createDocumentStore, createEventBus } from './engines.ts';
import type { EventEnvelope } from './events/envelope.ts';
import { newId } from './ids.ts';
import { createProvenanceFactory } from './provenance/provenance.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const provenance = createProvenanceFactory('test', 'memory');
const event = (): EventEnvelope => ({
  id: newId(),
  type: 'test.event',
  topic: 'org_events',
  tenantId: 't1',
  subject: { typename: 'Thing', id: 'x' },
  actor: { id: 'a', kind: 'system' },
  occurredAt: new Date().toISOString(),
  correlationId: 'c',
  payload: {},
  provenance: provenance.build({ method: 'SYSTEM', inputs: {}, explanation: 'test' }, 'c'),
  schemaVersion: 1,
});

describe('engines', () => {
  it('opens the embedded store as one NeDB file per subgraph under MESH_DATA_DIR', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'mesh-engines-'));
    dirs.push(dataDir);
    const store = await createDocumentStore(loadConfig({ MESH_DATA_DIR: dataDir }), 'identity');
    expect(store.engine).toBe('nedb');
    await store.close();
    expect(await readdir(dataDir)).toContain('identity.db');
  });

  it('shares one in-process bus across the subgraphs of a process, until the last handle closes', async () => {
    const config = loadConfig({});
    const presales = await createEventBus(config, 'presales');
    const lifecycle = await createEventBus(config, 'lifecycle');
    const received: string[] = [];
    await lifecycle.subscribe({ group: 'lifecycle.consumer', topics: ['org_events'] }, async (e) => void received.push(e.id));
    const first = event();
    await presales.publish([first]);
    expect(received).toEqual([first.id]);

    // Closing one handle drops its own subscriptions only; the others keep working.
    await lifecycle.close();
    await presales.publish([event()]);
    expect(received).toEqual([first.id]);
    await expect(lifecycle.publish([event()])).rejects.toThrow('bus closed');
    expect((await presales.health()).ok).toBe(true);
    await presales.close();

    // After the last handle closed, a new handle gets a fresh bus.
    const fresh = await createEventBus(config, 'fresh');
    expect((await fresh.health()).ok).toBe(true);
    await fresh.close();
  });

  it('names the missing variable when an engine is chosen without its address', async () => {
    const config = loadConfig({});
    await expect(createDocumentStore({ ...config, store: 'mongo', mongodbUri: undefined }, 'x')).rejects.toThrow(ConfigError);
    await expect(createEventBus({ ...config, bus: 'kafka', kafkaBrokers: undefined }, 'x')).rejects.toThrow(/KAFKA_BROKERS/);
  });
});

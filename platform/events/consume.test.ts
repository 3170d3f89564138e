import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { systemScope } from '../context.ts';
import { newId } from '../ids.ts';
import { createProvenanceFactory } from '../provenance/provenance.ts';
import { createEmbeddedStore } from '../store/embedded.ts';
import { defineCollection } from '../store/port.ts';
import { consumeOnce } from './consume.ts';
import type { EventEnvelope } from './envelope.ts';
import { createMemoryBus } from './memory-bus.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const provenance = createProvenanceFactory('test', 'memory');
const event = (tenantId: string): EventEnvelope => ({
  id: newId(),
  type: 'test.member.added',
  topic: 'org_events',
  tenantId,
  subject: { typename: 'Member', id: newId() },
  actor: { id: 'a', kind: 'system' },
  occurredAt: new Date().toISOString(),
  correlationId: 'c',
  payload: { email: 'same@example.com' },
  provenance: provenance.build({ method: 'SYSTEM', inputs: {}, explanation: 'test' }, 'c'),
  schemaVersion: 1,
});

const members = defineCollection<{ email: string }>('consume_members', [{ fields: ['email'], unique: true }]);

describe('consumeOnce', () => {
  it("does not mistake the handler's own ALREADY_EXISTS for a duplicate delivery: the event fails and is not marked", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'mesh-consume-'));
    dirs.push(dataDir);
    const store = await createEmbeddedStore({ dataDir, name: 'consume' });
    const bus = createMemoryBus();
    const tenant = `t-${newId()}`;
    await consumeOnce(bus, store, { consumer: 'members', topics: ['org_events'] }, (e, tx) => {
      tx.insert(members, { email: String(e.payload.email) }, e.provenance);
    });
    await bus.publish([event(tenant)]);
    const second = event(tenant);
    // The handler's insert violates the unique email: the failure reaches the bus (so it is retried).
    await expect(bus.publish([second])).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    const scope = systemScope(tenant, 'test');
    expect(await store.collection(members).count(scope)).toBe(1);
    expect(await store.collection(defineCollection('processed_events')).get(scope, `members:${second.id}`)).toBeNull();
    await store.close();
  });
});

import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { systemScope } from '../context.ts';
import { newId } from '../ids.ts';
import { createProvenanceFactory } from '../provenance/provenance.ts';
import { createEmbeddedStore } from '../store/embedded.ts';
import { defineCollection } from '../store/port.ts';
import { DomainError } from '../errors.ts';
import { consumeOnce, consumerDeadLetters } from './consume.ts';
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

  it('dead-letters a poison event after maxAttempts failures, so the events after it flow again', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'mesh-consume-'));
    dirs.push(dataDir);
    const store = await createEmbeddedStore({ dataDir, name: 'consume-poison' });
    const bus = createMemoryBus();
    const tenant = `t-${newId()}`;
    const seen: string[] = [];
    let calls = 0;
    await consumeOnce(bus, store, { consumer: 'poisoned', topics: ['org_events'], maxAttempts: 3 }, (e) => {
      calls += 1;
      if (e.payload.email === 'poison@example.com') throw new TypeError('payload.email cannot be handled');
      seen.push(e.id);
    });
    const poison = { ...event(tenant), payload: { email: 'poison@example.com' } };
    // Each delivery fails back to the publisher (the relay would retry) until the third.
    await expect(bus.publish([poison])).rejects.toThrow('cannot be handled');
    await expect(bus.publish([poison])).rejects.toThrow('cannot be handled');
    await bus.publish([poison]);
    expect(calls).toBe(3);
    const scope = systemScope(tenant, 'test');
    const letter = await store.collection(consumerDeadLetters).get(scope, `poisoned:${poison.id}`);
    expect(letter).toMatchObject({ consumer: 'poisoned', eventId: poison.id, type: poison.type, topic: 'org_events', attempts: 3, error: 'TypeError: payload.email cannot be handled' });
    expect(letter?.envelope.id).toBe(poison.id);
    // Marked processed: a redelivery is a no-op, and the next event is handled.
    await bus.publish([poison]);
    expect(calls).toBe(3);
    const next = event(tenant);
    await bus.publish([next]);
    expect(seen).toEqual([next.id]);
    // Nothing leaks into another tenant's scope.
    expect(await store.collection(consumerDeadLetters).count(systemScope(`other-${newId()}`, 'test'))).toBe(0);
    await store.close();
  });

  it('retries a transient failure without limit and never dead-letters it', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'mesh-consume-'));
    dirs.push(dataDir);
    const store = await createEmbeddedStore({ dataDir, name: 'consume-transient' });
    const bus = createMemoryBus();
    const tenant = `t-${newId()}`;
    let failuresLeft = 6;
    const seen: string[] = [];
    await consumeOnce(bus, store, { consumer: 'flaky', topics: ['org_events'], maxAttempts: 2 }, (e) => {
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        throw new DomainError('ENGINE_UNAVAILABLE', 'graph engine down');
      }
      seen.push(e.id);
    });
    const e = event(tenant);
    for (let i = 0; i < 6; i += 1) await expect(bus.publish([e])).rejects.toMatchObject({ code: 'ENGINE_UNAVAILABLE' });
    await bus.publish([e]);
    expect(seen).toEqual([e.id]);
    expect(await store.collection(consumerDeadLetters).count(systemScope(tenant, 'test'))).toBe(0);
    await store.close();
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { systemScope } from '../context.ts';
import { newId } from '../ids.ts';
import { createLogger } from '../logger.ts';
import { createProvenanceFactory } from '../provenance/provenance.ts';
import { createEmbeddedStore } from '../store/embedded.ts';
import { defineCollection, type DocumentStore } from '../store/port.ts';
import { consumeOnce } from './consume.ts';
import type { EventEnvelope } from './envelope.ts';
import { startOutboxRelay } from './outbox-relay.ts';
import type { BusSubscription, EventBus } from './port.ts';

/**
 * The EventBus contract: every adapter must pass it. `make` opens a bus; it is shared by the suite
 * (opening a Kafka client is not free). Topics are event families shared by every run, so each test
 * uses its own tenant ids, event types and group names, and filters on them. Subscriptions start at
 * the end of their topics (no `fromBeginning`), which also checks that `subscribe` resolves only once
 * the subscriber is ready: everything published after it must arrive.
 */
export interface EventBusContractOptions {
  /** Bound for waiting on asynchronous delivery (default 30 s). Never asserted on. */
  waitMs?: number;
  /** The store consumers dedupe in (default: a fresh embedded store per test). */
  makeStore?: () => Promise<DocumentStore>;
}

const provenance = createProvenanceFactory('contract', 'test');

const envelope = (tenantId: string, type: string, topic = 'org_events', payload: Record<string, unknown> = {}): EventEnvelope => {
  const correlationId = `corr-${newId()}`;
  return {
    id: newId(),
    type,
    topic,
    tenantId,
    subject: { typename: 'Thing', id: newId() },
    actor: { id: 'contract', kind: 'system' },
    occurredAt: new Date().toISOString(),
    correlationId,
    payload,
    provenance: provenance.build({ method: 'SYSTEM', inputs: payload, explanation: 'contract event' }, correlationId),
    schemaVersion: 1,
  };
};

interface Handled {
  consumer: string;
  tenant: string;
}

const handledThings = defineCollection<Handled>('contract_handled');

export const eventBusContract = (name: string, make: () => Promise<EventBus>, options: EventBusContractOptions = {}): void => {
  const waitMs = options.waitMs ?? 30_000;

  /** Polls until `check` holds; fails with `what` after the bound. */
  const until = async (what: string, check: () => boolean | Promise<boolean>): Promise<void> => {
    const deadline = Date.now() + waitMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  describe(`EventBus contract: ${name}`, () => {
    let bus: EventBus;
    const subscriptions: BusSubscription[] = [];
    const dirs: string[] = [];
    const stores: DocumentStore[] = [];
    const run = newId().toLowerCase();
    let counter = 0;
    const unique = (label: string): string => {
      counter += 1;
      return `contract-${label}-${run}-${counter}`;
    };

    const openStore = async (): Promise<DocumentStore> => {
      let store: DocumentStore;
      if (options.makeStore) {
        store = await options.makeStore();
      } else {
        const dir = await mkdtemp(path.join(tmpdir(), 'mesh-bus-contract-'));
        dirs.push(dir);
        store = await createEmbeddedStore({ dataDir: dir, name: 'bus-contract' });
      }
      stores.push(store);
      return store;
    };

    /** Subscribes and records events of one tenant only (topics are shared with other runs). */
    const collect = async (group: string, tenant: string, topics: string[] = ['org_events']): Promise<EventEnvelope[]> => {
      const seen: EventEnvelope[] = [];
      subscriptions.push(
        await bus.subscribe({ group, topics }, async (event) => {
          if (event.tenantId === tenant) seen.push(event);
        }),
      );
      return seen;
    };

    beforeAll(async () => {
      bus = await make();
    });

    afterAll(async () => {
      for (const subscription of subscriptions) await subscription.close();
      await bus?.close();
      for (const store of stores) await store.close();
      for (const dir of dirs) await rm(dir, { recursive: true, force: true });
    });

    it('delivers a published event, whole, to a subscriber of its topic only', async () => {
      const tenant = unique('tenant');
      const org = await collect(unique('group'), tenant, ['org_events']);
      const support = await collect(unique('group'), tenant, ['support_events']);
      const event = envelope(tenant, 'contract.delivered', 'org_events', { n: 1, nested: { ok: true } });
      const marker = envelope(tenant, 'contract.marker', 'support_events');
      await bus.publish([event]);
      await bus.publish([marker]);
      await until('the event', () => org.length >= 1 && support.length >= 1);
      expect(org).toEqual([event]);
      expect(support).toEqual([marker]);
      expect(await bus.health()).toMatchObject({ ok: true });
    });

    it('gives each event to one member of a group, and to every group', async () => {
      const tenant = unique('tenant');
      const group = unique('shared');
      const first = await collect(group, tenant);
      const second = await collect(group, tenant);
      const other = await collect(unique('other'), tenant);
      const events = Array.from({ length: 6 }, (_, i) => envelope(tenant, 'contract.fanout', 'org_events', { i }));
      for (const event of events) await bus.publish([event]);
      const sentinel = envelope(tenant, 'contract.sentinel');
      await bus.publish([sentinel]);
      // One tenant's events keep their order, so once the sentinel arrived everything before it has.
      await until('the sentinel in both groups', () => [...first, ...second].some((e) => e.id === sentinel.id) && other.some((e) => e.id === sentinel.id));
      const groupIds = [...first, ...second].map((e) => e.id);
      expect([...groupIds].sort()).toEqual([...events, sentinel].map((e) => e.id).sort());
      expect(other.map((e) => e.id)).toEqual([...events, sentinel].map((e) => e.id));
    });

    it("keeps each tenant's events in publish order", async () => {
      const t1 = unique('tenant');
      const t2 = unique('tenant');
      const group = unique('order');
      const seen: EventEnvelope[] = [];
      subscriptions.push(
        await bus.subscribe({ group, topics: ['org_events', 'support_events'] }, async (event) => {
          if (event.tenantId === t1 || event.tenantId === t2) seen.push(event);
        }),
      );
      const published: EventEnvelope[] = [];
      for (let i = 0; i < 10; i += 1) {
        const batch = [envelope(t1, 'contract.ordered', 'org_events', { i }), envelope(t2, 'contract.ordered', 'org_events', { i }), envelope(t1, 'contract.ordered', 'org_events', { i, second: true })];
        published.push(...batch);
        await bus.publish(batch);
      }
      await until('all ordered events', () => seen.length >= published.length);
      for (const tenant of [t1, t2]) {
        expect(seen.filter((e) => e.tenantId === tenant).map((e) => e.id)).toEqual(published.filter((e) => e.tenantId === tenant).map((e) => e.id));
      }
      expect(seen.length).toBe(published.length);
    });

    it('runs an idempotent consumer once per event, even when the event is published twice', async () => {
      const store = await openStore();
      const tenant = unique('tenant');
      const type = unique('type');
      const consumer = unique('consumer');
      const calls: string[] = [];
      subscriptions.push(
        await consumeOnce(bus, store, { consumer, topics: ['org_events'], types: [type] }, (event, tx) => {
          calls.push(event.id);
          tx.insert(handledThings, { consumer, tenant: event.tenantId }, event.provenance);
        }),
      );
      const event = envelope(tenant, type);
      const sentinel = envelope(tenant, type);
      await bus.publish([event]);
      await bus.publish([event]);
      await bus.publish([sentinel]);
      // The handler runs before its transaction commits: wait for the commits, not for the calls.
      const handledCount = () => store.collection(handledThings).count(systemScope(tenant, 'contract'));
      await until('both events handled', async () => (await handledCount()) >= 2);
      // One tenant's events keep their order: the duplicate came before the sentinel and was dropped.
      expect(calls).toEqual([event.id, sentinel.id]);
      expect(await handledCount()).toBe(2);
    });

    it('relays a transaction’s events end to end, once, even when the relay publishes twice', async () => {
      const store = await openStore();
      const tenant = unique('tenant');
      const type = unique('type');
      const consumer = unique('relay-consumer');
      const handled: EventEnvelope[] = [];
      subscriptions.push(
        await consumeOnce(bus, store, { consumer, topics: ['org_events'], types: [type] }, (event) => {
          handled.push(event);
        }),
      );
      // A relay that publishes every batch twice (as after a crash between publish and markPublished).
      const doubling: EventBus = { ...bus, publish: async (events) => {
        await bus.publish(events);
        await bus.publish(events);
      } };
      const relay = startOutboxRelay(store, doubling, createLogger('silent'), { pollMs: 50 });
      try {
        const scope = systemScope(tenant, 'contract');
        const txOptions = { action: 'contract.relay', actor: { id: 'u', kind: 'user' as const }, correlationId: 'corr-relay' };
        const emitted = await store.transaction(scope, txOptions, (tx) => tx.emit({ type, topic: 'org_events', subject: { typename: 'Thing', id: 'r1' }, payload: { step: 1 } }, provenance.build({ method: 'HUMAN', inputs: {}, explanation: 'relay' }, 'corr-relay')));
        const sentinel = await store.transaction(scope, txOptions, (tx) => tx.emit({ type, topic: 'org_events', subject: { typename: 'Thing', id: 'r2' }, payload: { step: 2 } }, provenance.build({ method: 'HUMAN', inputs: {}, explanation: 'relay' }, 'corr-relay')));
        await relay.flush();
        await until('the relayed events', () => handled.some((e) => e.id === sentinel.id));
        expect(handled.map((e) => e.id)).toEqual([emitted.id, sentinel.id]);
        expect(handled[0]).toEqual(emitted);
        await until('the outbox to drain', async () => (await store.outbox.pending(10)).length === 0);
      } finally {
        await relay.stop();
      }
    });

    it('does not lose an event whose handler fails: it is handled again until it succeeds', async () => {
      const store = await openStore();
      const tenant = unique('tenant');
      const type = unique('type');
      const consumer = unique('flaky');
      let attempts = 0;
      let handled = 0;
      subscriptions.push(
        await consumeOnce(bus, store, { consumer, topics: ['org_events'], types: [type] }, () => {
          attempts += 1;
          if (attempts === 1) throw new Error('transient failure');
          handled += 1;
        }),
      );
      const relay = startOutboxRelay(store, bus, createLogger('silent'), { pollMs: 50 });
      try {
        await store.transaction(systemScope(tenant, 'contract'), { action: 'contract.flaky', actor: { id: 'u', kind: 'user' }, correlationId: 'c' }, (tx) =>
          tx.emit({ type, topic: 'org_events', subject: { typename: 'Thing', id: 'f1' }, payload: {} }, provenance.build({ method: 'HUMAN', inputs: {}, explanation: 'flaky' }, 'c')),
        );
        await until('the retried event', () => handled === 1);
        expect(attempts).toBe(2);
      } finally {
        await relay.stop();
      }
    });

    it('stops delivering to a closed subscription', async () => {
      const tenant = unique('tenant');
      const group = unique('closing');
      const seen: EventEnvelope[] = [];
      const subscription = await bus.subscribe({ group, topics: ['org_events'] }, async (event) => {
        if (event.tenantId === tenant) seen.push(event);
      });
      const watcher = await collect(unique('watcher'), tenant);
      const first = envelope(tenant, 'contract.before-close');
      await bus.publish([first]);
      await until('the first event', () => seen.length === 1 && watcher.length === 1);
      await subscription.close();
      const second = envelope(tenant, 'contract.after-close');
      await bus.publish([second]);
      await until('the watcher to see the second event', () => watcher.length === 2);
      expect(seen.map((e) => e.id)).toEqual([first.id]);
    });
  });
};

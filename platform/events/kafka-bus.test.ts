import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Consumer } from '@platformatic/kafka';
import { newId } from '../ids.ts';
import { createProvenanceFactory } from '../provenance/provenance.ts';
import { eventBusContract } from './contract.ts';
import type { EventEnvelope } from './envelope.ts';
import { createKafkaBus, replayFrom, type KafkaEventBus } from './kafka-bus.ts';

const maybe = process.env.KAFKA_BROKERS ? describe : describe.skip;
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim());
const clientId = `mesh-test-${newId().toLowerCase()}`;

const provenance = createProvenanceFactory('test', 'kafka');
const event = (tenantId: string, type: string): EventEnvelope => ({
  id: newId(),
  type,
  topic: 'org_events',
  tenantId,
  subject: { typename: 'Thing', id: newId() },
  actor: { id: 'a', kind: 'system' },
  occurredAt: new Date().toISOString(),
  correlationId: 'c',
  payload: {},
  provenance: provenance.build({ method: 'SYSTEM', inputs: {}, explanation: 'test' }, 'c'),
  schemaVersion: 1,
});

const until = async (what: string, check: () => boolean): Promise<void> => {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
};

maybe('kafka bus', () => {
  eventBusContract('kafka', () => createKafkaBus({ brokers, clientId }));

  describe('kafka specifics', () => {
    let bus: KafkaEventBus;
    beforeAll(async () => {
      bus = await createKafkaBus({ brokers, clientId: `${clientId}-replay` });
    });
    afterAll(async () => {
      await bus?.close();
    });

    it('starts side by side with other processes creating the same new topics (already exists is not an error)', async () => {
      const namespacePrefix = `race${newId().toLowerCase().slice(-10)}.`;
      // Like the subgraph processes of one deployment starting at once: each creates the family's topics.
      const buses = await Promise.all(Array.from({ length: 4 }, (_, i) => createKafkaBus({ brokers, clientId: `${clientId}-race-${i}`, namespacePrefix })));
      try {
        const received: string[] = [];
        const subscriptions = await Promise.all(buses.map((b, i) => b.subscribe({ group: `${clientId}-race-group-${i}`, topics: ['client_events', 'org_events'], fromBeginning: true }, async (e) => void received.push(e.id))));
        const e = event(`t-${newId()}`, 'test.race');
        e.topic = 'client_events';
        await buses[0].publish([e]);
        await until('every group receives the event', () => received.filter((id) => id === e.id).length === 4);
        for (const s of subscriptions) await s.close();
      } finally {
        await Promise.all(buses.map((b) => b.close()));
      }
    });

    it('fails fast, naming KAFKA_BROKERS, when no broker answers', async () => {
      await expect(createKafkaBus({ brokers: ['127.0.0.1:1'], clientId: 'unreachable', connectTimeoutMs: 1500 })).rejects.toThrow(/^KAFKA_BROKERS: cannot reach Kafka at 127\.0\.0\.1:1/);
    });

    it('starts a new group at the beginning of its topics with fromBeginning, and at the end without', async () => {
      const tenant = `t-${newId()}`;
      const early = event(tenant, 'test.early');
      early.topic = 'culture_events';
      await bus.publish([early]);
      const fromStart: string[] = [];
      const fromEnd: string[] = [];
      const subscriptions = [
        await bus.subscribe({ group: `${clientId}-start`, topics: ['culture_events'], fromBeginning: true }, async (e) => {
          if (e.tenantId === tenant) fromStart.push(e.id);
        }),
        await bus.subscribe({ group: `${clientId}-end`, topics: ['culture_events'] }, async (e) => {
          if (e.tenantId === tenant) fromEnd.push(e.id);
        }),
      ];
      const late = { ...event(tenant, 'test.late'), topic: 'culture_events' };
      await bus.publish([late]);
      await until('the late event in both groups', () => fromStart.includes(late.id) && fromEnd.includes(late.id));
      for (const subscription of subscriptions) await subscription.close();
      expect(fromStart).toEqual([early.id, late.id]);
      expect(fromEnd).toEqual([late.id]);
    });

    it('resumes a group from its committed offset after all its members left', async () => {
      const tenant = `t-${newId()}`;
      const group = `${clientId}-resume`;
      const seen: string[] = [];
      const handler = async (e: EventEnvelope): Promise<void> => {
        if (e.tenantId === tenant) seen.push(e.id);
      };
      const first = await bus.subscribe({ group, topics: ['org_events'] }, handler);
      const one = event(tenant, 'test.resume');
      await bus.publish([one]);
      await until('the first event', () => seen.length === 1);
      await first.close();
      // Published while the group has no member: delivered when it comes back, and nothing twice.
      const two = event(tenant, 'test.resume');
      await bus.publish([two]);
      const second = await bus.subscribe({ group, topics: ['org_events'] }, handler);
      await until('the second event', () => seen.length >= 2);
      const sentinel = event(tenant, 'test.resume');
      await bus.publish([sentinel]);
      await until('the sentinel', () => seen.includes(sentinel.id));
      await second.close();
      expect(seen).toEqual([one.id, two.id, sentinel.id]);
    });

    it('delivers events published while a group had no member on partitions it never committed on (start offsets are pinned at join)', async () => {
      // The services e2e's "consumer is down" scenario at the bus level: a group joins at the end of
      // its topic, handles nothing, its only member leaves; meanwhile events land on every partition.
      const group = `${clientId}-pinned`;
      const tenants = Array.from({ length: 12 }, () => `t-${newId()}`);
      const seen: string[] = [];
      const handler = async (e: EventEnvelope): Promise<void> => {
        if (tenants.includes(e.tenantId)) seen.push(e.id);
      };
      const first = await bus.subscribe({ group, topics: ['org_events'] }, handler);
      await first.close();
      const missed = tenants.map((tenant) => event(tenant, 'test.pinned'));
      await bus.publish(missed);
      // The 12 tenant keys spread over every partition of the topic (3 by default).
      const probe = new Consumer({ clientId, bootstrapBrokers: brokers, groupId: group });
      const committed = await probe.listCommittedOffsets({ topics: [{ topic: 'org_events', partitions: [0, 1, 2] }] });
      await probe.close(true);
      expect((committed.get('org_events') ?? []).every((offset) => offset >= 0n)).toBe(true);
      const second = await bus.subscribe({ group, topics: ['org_events'] }, handler);
      await until('every event published while the group had no member', () => seen.length >= missed.length);
      await second.close();
      expect([...seen].sort()).toEqual(missed.map((e) => e.id).sort());
    });

    it('replays from the earliest offset, from a point in time and from explicit offsets, without a group commit', async () => {
      const tenant = `t-${newId()}`;
      const type = `test.replay.${newId()}`;
      const before = event(tenant, type);
      await bus.publish([before]);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const from = new Date();
      await new Promise((resolve) => setTimeout(resolve, 20));
      // The end of each partition now: a replay from these offsets sees exactly what follows.
      const probe = new Consumer({ clientId, bootstrapBrokers: brokers, groupId: `${clientId}-probe` });
      const ends = await probe.listOffsets({ topics: ['org_events'], timestamp: -1n });
      await probe.close(true);
      const offsets = (ends.get('org_events') ?? []).map((offset, partition) => ({ topic: 'org_events', partition, offset }));
      expect(offsets.length).toBeGreaterThan(0);
      const after = [event(tenant, type), event(tenant, type)];
      await bus.publish(after);

      const all: string[] = [];
      const sinceTime: string[] = [];
      const sinceOffsets: string[] = [];
      const collect = (into: string[]) => async (e: EventEnvelope) => {
        if (e.tenantId === tenant) into.push(e.id);
      };
      const replays = [
        await replayFrom(bus, { topics: ['org_events'], from: 'earliest' }, collect(all)),
        await replayFrom(bus, { topics: ['org_events'], from }, collect(sinceTime)),
        await replayFrom(bus, { topics: ['org_events'], from: offsets }, collect(sinceOffsets)),
      ];
      await until('the replays', () => all.length === 3 && sinceTime.length === 2 && sinceOffsets.length === 2);
      for (const replay of replays) await replay.close();
      expect(all).toEqual([before.id, ...after.map((e) => e.id)]);
      expect(sinceTime).toEqual(after.map((e) => e.id));
      expect(sinceOffsets).toEqual(after.map((e) => e.id));
    });
  });
});

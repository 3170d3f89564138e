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

    it('fails fast, naming KAFKA_BROKERS, when no broker answers', async () => {
      await expect(createKafkaBus({ brokers: ['127.0.0.1:1'], clientId: 'unreachable', connectTimeoutMs: 1500 })).rejects.toThrow(/^KAFKA_BROKERS: cannot reach Kafka at 127\.0\.0\.1:1/);
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

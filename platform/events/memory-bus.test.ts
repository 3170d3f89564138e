import { describe, expect, it } from '@jest/globals';
import { newId } from '../ids.ts';
import { createProvenanceFactory } from '../provenance/provenance.ts';
import { eventBusContract } from './contract.ts';
import type { EventEnvelope } from './envelope.ts';
import { createMemoryBus } from './memory-bus.ts';

eventBusContract('memory', async () => createMemoryBus());

const provenance = createProvenanceFactory('test', 'memory');
const event = (topic: string): EventEnvelope => ({
  id: newId(),
  type: 'test.event',
  topic,
  tenantId: 't1',
  subject: { typename: 'Thing', id: 'x' },
  actor: { id: 'a', kind: 'system' },
  occurredAt: new Date().toISOString(),
  correlationId: 'c',
  payload: {},
  provenance: provenance.build({ method: 'SYSTEM', inputs: {}, explanation: 'test' }, 'c'),
  schemaVersion: 1,
});

describe('memory bus', () => {
  it('routes a topic only to the group members that subscribed it', async () => {
    const bus = createMemoryBus();
    const orgOnly: string[] = [];
    const supportOnly: string[] = [];
    await bus.subscribe({ group: 'g', topics: ['org_events'] }, async (e) => void orgOnly.push(e.topic));
    await bus.subscribe({ group: 'g', topics: ['support_events'] }, async (e) => void supportOnly.push(e.topic));
    for (let i = 0; i < 3; i += 1) await bus.publish([event('org_events'), event('support_events')]);
    expect(orgOnly).toEqual(['org_events', 'org_events', 'org_events']);
    expect(supportOnly).toEqual(['support_events', 'support_events', 'support_events']);
  });

  it('rejects publish when a handler fails, so the relay retries', async () => {
    const bus = createMemoryBus();
    await bus.subscribe({ group: 'g', topics: ['org_events'] }, async () => {
      throw new Error('handler down');
    });
    await expect(bus.publish([event('org_events')])).rejects.toThrow('handler down');
    await bus.close();
    await expect(bus.publish([event('org_events')])).rejects.toThrow('bus closed');
    expect((await bus.health()).ok).toBe(false);
  });
});

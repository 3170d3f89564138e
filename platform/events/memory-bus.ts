import type { EventEnvelope } from './envelope.ts';
import type { BusSubscription, EventBus, EventHandler } from './port.ts';

interface Member {
  topics: ReadonlySet<string>;
  handler: EventHandler;
}

interface Group {
  name: string;
  members: Member[];
  next: number;
}

/**
 * In-process bus for all-in-one mode. `publish` awaits delivery to every group, so the outbox relay
 * marks an event published only once every consumer has handled it; a failing handler makes the
 * relay retry, and idempotent consumers drop the duplicates.
 * Several subscriptions with the same group share the events round-robin, like a consumer group.
 */
export const createMemoryBus = (): EventBus => {
  const groups = new Map<string, Group>();
  let closed = false;
  return {
    engine: 'memory',
    async publish(events) {
      if (closed) throw new Error('bus closed');
      for (const event of events) {
        const deliveries: Promise<void>[] = [];
        for (const group of groups.values()) {
          // Only members that subscribed this topic share it (members of a group may differ in topics).
          const members = group.members.filter((m) => m.topics.has(event.topic));
          if (members.length === 0) continue;
          const member = members[group.next % members.length];
          group.next += 1;
          deliveries.push(member.handler(event));
        }
        const results = await Promise.allSettled(deliveries);
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
      }
    },
    async subscribe(options, handler): Promise<BusSubscription> {
      let group = groups.get(options.group);
      if (!group) {
        group = { name: options.group, members: [], next: 0 };
        groups.set(options.group, group);
      }
      const member: Member = { topics: new Set(options.topics), handler };
      group.members.push(member);
      const owner = group;
      return {
        async close() {
          owner.members = owner.members.filter((m) => m !== member);
        },
      };
    },
    async health() {
      return { ok: !closed, detail: `memory bus, ${groups.size} groups` };
    },
    async close() {
      closed = true;
    },
  };
};

export type { EventEnvelope };

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One Prometheus registry per process, served at GET /metrics. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const graphqlRequests = new Counter({
  name: 'mesh_graphql_requests_total',
  help: 'GraphQL operations served, by service and outcome',
  labelNames: ['service', 'outcome'] as const,
  registers: [registry],
});

export const graphqlDuration = new Histogram({
  name: 'mesh_graphql_request_duration_seconds',
  help: 'GraphQL operation duration, by service',
  labelNames: ['service'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

export const rateLimited = new Counter({
  name: 'mesh_rate_limited_total',
  help: 'Requests refused by the gateway rate limiter, by dimension',
  labelNames: ['dimension'] as const,
  registers: [registry],
});

export const consumerDeadLettered = new Counter({
  name: 'mesh_consumer_dead_letters_total',
  help: 'Events an idempotent consumer gave up on after repeated non-transient failures (kept in consumer_dead_letters)',
  labelNames: ['consumer'] as const,
  registers: [registry],
});

/** What a federated subscription engine counts (structurally the engine's `stats`). */
export interface SubscriptionCounters {
  connections: number;
  subscriptions: number;
  events: number;
  resolutions: number;
  deliveries: number;
  slowConsumerCloses: number;
}

const subscriptionSources = new Set<() => SubscriptionCounters>();
const sumOf = (key: 'connections' | 'subscriptions'): number => [...subscriptionSources].reduce((sum, read) => sum + read()[key], 0);

/** A counter that grows by what each engine counted since the last scrape (engines come and go; the counter never falls). */
const counterFrom = (name: string, help: string, key: 'events' | 'resolutions' | 'deliveries' | 'slowConsumerCloses'): Counter => {
  const seen = new WeakMap<() => SubscriptionCounters, number>();
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      for (const read of subscriptionSources) {
        const now = read()[key];
        const before = seen.get(read) ?? 0;
        if (now > before) this.inc(now - before);
        seen.set(read, now);
      }
    },
  });
};

new Gauge({ name: 'mesh_subscription_connections', help: 'Open graphql-ws connections on this gateway', registers: [registry], collect() { this.set(sumOf('connections')); } });
new Gauge({ name: 'mesh_subscription_active', help: 'Active subscriptions on this gateway', registers: [registry], collect() { this.set(sumOf('subscriptions')); } });
counterFrom('mesh_subscription_events_total', 'Bus events received by the subscription engine', 'events');
counterFrom('mesh_subscription_resolutions_total', 'Refetches through the gateway planner (shared by subscribers with the same selection and scope)', 'resolutions');
counterFrom('mesh_subscription_deliveries_total', 'Messages delivered to subscribers', 'deliveries');
counterFrom('mesh_subscription_slow_consumer_closes_total', 'Sockets closed with 4429 because the client did not read', 'slowConsumerCloses');

/** Reports an engine's counters at /metrics until the returned function is called. */
export const trackSubscriptions = (read: () => SubscriptionCounters): (() => void) => {
  subscriptionSources.add(read);
  return () => {
    subscriptionSources.delete(read);
  };
};

import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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

/**
 * Federated subscriptions benchmark (loopback, stops by itself):
 *   ./node_modules/.bin/node bench/subscriptions.bench.ts
 * Two test subgraphs + the real gateway + the subscription engine on a memory bus, N graphql-ws
 * subscribers (raw `ws` sockets speaking graphql-transport-ws, in this same process), R events/s for
 * S seconds. Prints a markdown table and writes bench/results/subscriptions-<date>.md.
 * Env: BENCH_SUBSCRIBERS (1000), BENCH_RATE (100), BENCH_SECONDS (10).
 * Note: clients run in the gateway's process, so CPU and the RSS delta include both ends.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import WebSocket from 'ws';
import { createMemoryBus } from '../platform/events/memory-bus.ts';
import { serveEngine, waitUntil } from '../gateway/subscriptions/client.ts';
import { createSubscriptionEngine } from '../gateway/subscriptions/engine.ts';
import { startTestFederation } from '../gateway/subscriptions/fixture.ts';

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const RATE = Number(process.env.BENCH_RATE ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const QUERY = 'subscription { timeline { id kind summary accountName } }';

const hardStop = setTimeout(() => {
  console.error('bench: hard time limit reached, exiting');
  process.exit(3);
}, (SECONDS + 120) * 1000);
hardStop.unref();

const percentile = (sorted: number[], p: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

const fed = await startTestFederation();
const bus = createMemoryBus();
const engine = await createSubscriptionEngine({ gateway: fed.gateway, bus, queueLimit: 1024 });
const served = await serveEngine(fed.gateway, engine);
const token = await fed.token('bench-tenant');

const published = new Map<string, number>();
const latencies: number[] = [];
let received = 0;
const sockets: WebSocket[] = [];

const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const rssBefore = process.memoryUsage().rss;
for (let i = 0; i < SUBSCRIBERS; i++) {
  const ws = new WebSocket(served.url, 'graphql-transport-ws', { perMessageDeflate: false });
  ws.on('message', (data) => {
    const now = performance.now();
    const message = JSON.parse(String(data)) as { type: string; payload?: { data?: { timeline?: { id: string } } } };
    if (message.type === 'connection_ack') {
      ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: QUERY } }));
    } else if (message.type === 'next') {
      const id = message.payload?.data?.timeline?.id;
      const at = id ? published.get(id) : undefined;
      if (at !== undefined) latencies.push(now - at);
      received += 1;
    } else if (message.type === 'error') {
      console.error('subscription error', JSON.stringify(message.payload));
    }
  });
  ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
  sockets.push(ws);
}
await waitUntil(() => engine.stats.subscriptions === SUBSCRIBERS, `${SUBSCRIBERS} subscriptions`, 60_000);
await new Promise((r) => setTimeout(r, 500));
gc?.();
const rssIdle = process.memoryUsage().rss;

const resolutionsBefore = engine.stats.resolutions;
const total = RATE * SECONDS;
const start = performance.now();
for (let n = 0; n < total; n++) {
  const due = start + (n * 1000) / RATE;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const event = fed.event('bench-tenant', { kind: 'org.updated' });
  published.set(event.id, performance.now());
  await bus.publish([event]);
}
const publishSeconds = (performance.now() - start) / 1000;
await waitUntil(() => received >= total * SUBSCRIBERS, 'all deliveries', 60_000).catch(() => undefined);
const resolutions = engine.stats.resolutions - resolutionsBefore;

const sorted = latencies.sort((a, b) => a - b);
const ms = (v: number): string => `${v.toFixed(1)} ms`;
const date = new Date().toISOString().slice(0, 10);
const table = [
  `### Federated subscriptions, ${date}`,
  '',
  `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}), Node ${process.version}; 2 test subgraphs + @apollo/gateway + engine, memory bus, loopback; clients in the same process.`,
  '',
  '| metric | value |',
  '| --- | --- |',
  `| subscribers (graphql-ws, identical selection, one tenant) | ${SUBSCRIBERS} |`,
  `| events published | ${total} at ${RATE}/s (took ${publishSeconds.toFixed(1)} s) |`,
  `| messages delivered | ${received} of ${total * SUBSCRIBERS} |`,
  `| delivery latency publish→client p50 | ${ms(percentile(sorted, 50))} |`,
  `| delivery latency p95 | ${ms(percentile(sorted, 95))} |`,
  `| delivery latency p99 | ${ms(percentile(sorted, 99))} |`,
  `| delivery latency max | ${ms(sorted[sorted.length - 1] ?? NaN)} |`,
  `| gateway resolutions per event (${SUBSCRIBERS} identical subscribers) | ${(resolutions / total).toFixed(2)} |`,
  `| memory per idle subscriber (RSS delta / ${SUBSCRIBERS}, both ends) | ${((rssIdle - rssBefore) / SUBSCRIBERS / 1024).toFixed(1)} KB |`,
  `| slow-consumer closes | ${engine.stats.slowConsumerCloses} |`,
  '',
].join('\n');
console.log(table);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL(`./results/subscriptions-${date}.md`, import.meta.url), table);

for (const ws of sockets) ws.terminate();
await served.stop();
await engine.close();
await fed.stop();
process.exit(0);

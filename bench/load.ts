/**
 * The load generator, run as its own process: `node bench/load.ts <spec.json>`.
 * Opens `connections` keep-alive HTTP/1.1 connections (one undici Client each, no pipelining) and
 * keeps one request in flight on each (closed loop) for `warmupSeconds + seconds`. Connection i
 * cycles through its own request bodies, so concurrent requests differ in operation text and
 * variables; `__N__` in a body is replaced by a process-wide counter (unique writes).
 * Prints `measure-start` after the warm-up and `measure-end` at the end (the orchestrator reads
 * /proc around them), then `result <json>`. With `rate`, requests are paced (open loop) instead. A request counts as failed on a non-200 status or a
 * body with GraphQL errors.
 */
import { readFileSync } from 'node:fs';
import { Client } from 'undici';

export interface LoadSpec {
  url: string;
  seconds: number;
  warmupSeconds: number;
  connections: number;
  /** Request bodies per connection (connection i uses bodies[i % bodies.length]). */
  bodies: string[][];
  /** Extra headers per connection (i % headers.length), e.g. authorization. */
  headers: Array<Record<string, string>>;
  /** Open loop: total requests per second, spread evenly over the connections (default: closed loop). */
  rate?: number;
}

export interface LoadResult {
  requests: number;
  failures: number;
  seconds: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  statuses: Record<string, number>;
  firstFailure: string | null;
}

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8')) as LoadSpec;
const target = new URL(spec.url);
const latencies: number[] = [];
const statuses: Record<string, number> = {};
let failures = 0;
let firstFailure: string | null = null;
let counter = 0;
let measuring = false;

const start = performance.now();
const measureFrom = start + spec.warmupSeconds * 1000;
const until = measureFrom + spec.seconds * 1000;
let measuredFrom = measureFrom;

setTimeout(() => {
  measuring = true;
  measuredFrom = performance.now();
  console.log('measure-start');
}, spec.warmupSeconds * 1000);
setTimeout(() => console.log('measure-end'), until - start);

const run = async (i: number): Promise<void> => {
  const client = new Client(target.origin, { pipelining: 1, keepAliveTimeout: 60_000, headersTimeout: 60_000, bodyTimeout: 60_000 });
  const bodies = spec.bodies[i % spec.bodies.length];
  const headers = { 'content-type': 'application/json', accept: 'application/json', ...spec.headers[i % spec.headers.length] };
  let k = i;
  const interval = spec.rate ? (1000 * spec.connections) / spec.rate : 0;
  let due = start + (interval * i) / spec.connections;
  while (performance.now() < until) {
    if (interval) {
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      due += interval;
      if (due > until) break;
    }
    const template = bodies[k++ % bodies.length];
    const body = template.includes('__N__') ? template.replaceAll('__N__', String(++counter)) : template;
    const sent = performance.now();
    let status = 0;
    let text = '';
    try {
      const response = await client.request({ method: 'POST', path: target.pathname, headers, body });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      text = (error as Error).message;
    }
    const took = performance.now() - sent;
    if (!measuring || sent > until) continue;
    latencies.push(took);
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status !== 200 || text.includes('"errors"')) {
      failures += 1;
      firstFailure ??= `${status} ${text.slice(0, 500)}`;
    }
  }
  await client.close();
};

await Promise.all(Array.from({ length: spec.connections }, (_, i) => run(i)));
const elapsed = (until - measuredFrom) / 1000;
const sorted = latencies.sort((a, b) => a - b);
const at = (p: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : Number.NaN);
const result: LoadResult = {
  requests: sorted.length,
  failures,
  seconds: elapsed,
  rps: sorted.length / elapsed,
  p50: at(50),
  p90: at(90),
  p99: at(99),
  max: sorted.at(-1) ?? Number.NaN,
  statuses,
  firstFailure,
};
console.log(`result ${JSON.stringify(result)}`);

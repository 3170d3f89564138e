/**
 * Ingest benchmark: sustained mutation rate through the gateway with p99, and the share of the
 * resulting events that every consumer has processed within 1 s.
 *   ./node_modules/.bin/node bench/ingest.bench.ts        (BENCH_QUICK=1 for a short check)
 * The mesh runs in this process (all-in-one, embedded engines, temp data dir); the load generator
 * (bench/load.ts) is its own process: BENCH_INGEST_CONNECTIONS (10) connections, each committing new
 * versions of its own configuration (`commitConfig`: validation, risk, diff, one atomic commit with
 * its events and audit record) in a closed loop for BENCH_SECONDS (15).
 * Event processing: the in-process bus resolves `publish` only after every consumer group handled the
 * event, so the bench wraps the bus port's `publish` and records, per event, the time from its
 * commit (`occurredAt`) to the end of delivery — lifecycle's timeline, governance's audit chain, the
 * subscription engine, and every other consumer of the topic.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startAllInOne } from '../all-in-one.ts';
import { loadConfig } from '../platform/config.ts';
import type { EventEnvelope } from '../platform/events/envelope.ts';
import { createLogger } from '../platform/logger.ts';
import type { LoadResult } from './load.ts';
import { COMMIT_CONFIG, configDocument, cpuSecondsOf, fmt, machine, percentile, QUICK, writeResult, seedTenant, sleep, startChild, today } from './lib.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 4 : 15));
const WARMUP = QUICK ? 1 : 3;
const CONNECTIONS = Number(process.env.BENCH_INGEST_CONNECTIONS ?? 10);

const dataDir = mkdtempSync(path.join(tmpdir(), 'mesh-bench-ingest-'));
const admin = { email: 'admin@bench.local', password: 'bench-admin-password' };
const config = loadConfig({
  NODE_ENV: 'production',
  MESH_DATA_DIR: dataDir,
  PORT: '0',
  MESH_ADMIN_EMAIL: admin.email,
  MESH_ADMIN_PASSWORD: admin.password,
  MESH_RATE_PRINCIPAL_PER_MIN: '100000000',
  MESH_RATE_TENANT_PER_MIN: '100000000',
  MESH_RATE_IP_PER_MIN: '100000000',
});
const mesh = await startAllInOne(config, createLogger('warn'), { subgraphPorts: 'ephemeral' });
let exitCode = 0;
try {
  const tenant = await seedTenant(mesh.url, admin, { name: 'Ingest Co', users: 5, configs: CONNECTIONS, versions: 1 });

  // Per event: commit → processed by every consumer group.
  const processed: Array<{ type: string; occurredAt: number; lagMs: number }> = [];
  const bus = mesh.kernel.bus;
  const publish = bus.publish.bind(bus);
  bus.publish = async (events: readonly EventEnvelope[]): Promise<void> => {
    await publish(events);
    const now = Date.now();
    for (const event of events) processed.push({ type: event.type, occurredAt: Date.parse(event.occurredAt), lagMs: now - Date.parse(event.occurredAt) });
  };

  const bodies = tenant.configIds.map((configId) => [JSON.stringify({ query: COMMIT_CONFIG, operationName: 'Commit', variables: { input: { configId, document: configDocument('__N__'), message: 'Ingest bench commit __N__' } } })]);
  const headers = tenant.configIds.map((_, i) => ({ authorization: `Bearer ${tenant.tokens[i % tenant.tokens.length]}` }));
  interface Phase {
    result: LoadResult;
    lags: number[];
    events: number;
    byType: Map<string, number>;
    cpuPer1k: number;
  }
  const runPhase = async (name: string, rate?: number): Promise<Phase> => {
    const specPath = path.join(dataDir, `ingest-${name}.json`);
    writeFileSync(specPath, JSON.stringify({ url: mesh.url, seconds: SECONDS, warmupSeconds: WARMUP, connections: CONNECTIONS, bodies, headers, ...(rate ? { rate } : {}) }));
    const load = startChild('load', ['bench/load.ts', specPath]);
    await load.waitFor(/^measure-start$/m, (WARMUP + 30) * 1000);
    const windowStart = Date.now();
    const cpu0 = cpuSecondsOf(process.pid);
    await load.waitFor(/^measure-end$/m, (SECONDS + 30) * 1000);
    const windowEnd = Date.now();
    const cpu1 = cpuSecondsOf(process.pid);
    const result = JSON.parse((await load.waitFor(/^result (\{.*\})$/m, 120_000))[1]) as LoadResult;
    await load.stop();
    // Wait for the backlog to drain (no publish for 2 s, at most 120 s): late events count with their real lag.
    for (let last = -1, stableSince = Date.now(), until = Date.now() + 120_000; Date.now() < until; await sleep(250)) {
      if (processed.length !== last) {
        last = processed.length;
        stableSince = Date.now();
      } else if (Date.now() - stableSince > 2000) break;
    }
    const inWindow = processed.filter((p) => p.occurredAt >= windowStart && p.occurredAt < windowEnd);
    const byType = new Map<string, number>();
    for (const p of inWindow) byType.set(p.type, (byType.get(p.type) ?? 0) + 1);
    return { result, lags: inWindow.map((p) => p.lagMs).sort((a, b) => a - b), events: inWindow.length, byType, cpuPer1k: (cpu1 - cpu0) / (result.requests / 1000) };
  };
  const within = (phase: Phase): number => phase.lags.filter((lag) => lag <= 1000).length / Math.max(1, phase.lags.length);
  const closed = await runPhase('closed');
  // Then paced at a half and a quarter of the sustained rate: where does event processing keep up?
  const rates = [2, 4].map((divisor) => Math.max(1, Math.round(closed.result.rps / divisor)));
  const paced: Phase[] = [];
  for (const rate of rates) paced.push(await runPhase(`paced-${rate}`, rate));
  const row = (phase: Phase): string[] => [
    fmt(phase.result.rps),
    `${fmt(phase.result.p50)} / ${fmt(phase.result.p90)} / ${fmt(phase.result.p99)}`,
    `${phase.result.failures} of ${phase.result.requests}`,
    `${phase.events} (${[...phase.byType].map(([t, n]) => `${t} ${n}`).join(', ')})`,
    `${fmt(100 * within(phase))}%`,
    `${fmt(percentile(phase.lags, 50))} / ${fmt(percentile(phase.lags, 99))} / ${fmt(phase.lags.at(-1) ?? Number.NaN)}`,
    fmt(phase.cpuPer1k, 2),
  ];
  const labels = ['mutations/s', 'write latency p50 / p90 / p99 ms (spec: p99 < 700)', 'failed writes', 'events committed in the window', 'processed by every consumer within 1 s (spec: 99%)', 'commit → processed p50 / p99 / max ms', 'mesh process CPU s per 1k writes'];
  const rows = [closed, ...paced].map(row);
  const met = (phase: Phase): string => `p99 ${phase.result.p99 < 700 ? 'met' : 'NOT met'}, events within 1 s ${within(phase) >= 0.99 ? 'met' : 'NOT met'}`;
  const report = [
    `### Ingest: sustained writes through the gateway, ${today()}`,
    '',
    `${machine()}. All-in-one (gateway + seven subgraphs in one process, embedded NeDB store with write-ahead commits, in-process bus, outbox relay); load generator in its own process. ${CONNECTIONS} connections, closed loop, each committing new versions of its own configuration (\`commitConfig\`), ${SECONDS} s measured after ${WARMUP} s warm-up.`,
    '',
    `| metric | closed loop (sustained maximum) | ${rates.map((rate, i) => `paced at ${rate}/s (1/${[2, 4][i]} of it)`).join(' | ')} |`,
    `| --- | ${rows.map(() => '---:').join(' | ')} |`,
    ...labels.map((label, i) => `| ${label} | ${rows.map((r) => r[i]).join(' | ')} |`),
    '',
    `Spec check — closed loop: ${met(closed)}; ${paced.map((phase, i) => `${rates[i]}/s: ${met(phase)}`).join('; ')}.`,
    '',
  ].join('\n');
  console.log(report);
  writeResult('ingest', report);
  if ([closed, ...paced].some((phase) => phase.result.failures > 0)) exitCode = 1;
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await mesh.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);

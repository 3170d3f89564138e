/**
 * Gateway throughput and overhead: our gateway vs plain @apollo/gateway in @apollo/server vs Hive
 * Gateway, over the same running subgraphs and the same supergraph.
 *   ./node_modules/.bin/node bench/gateways.bench.ts        (BENCH_QUICK=1 for a short check)
 * Processes: one for the seven subgraphs, one per gateway, one for the load generator (bench/load.ts).
 * Env: BENCH_SECONDS (15), BENCH_WARMUP (3), BENCH_ROUNDS (2), BENCH_CONNECTIONS (50),
 * BENCH_GATEWAYS (mesh,apollo,hive), BENCH_PROFILE=1 (our gateway and the subgraphs with --cpu-prof into bench/results/tmp).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { DEFAULT_SUBGRAPH_CONNECTIONS } from '../gateway/data-source.ts';
import { supergraphForGateway } from '../gateway/supergraph.ts';
import type { LoadResult, LoadSpec } from './load.ts';
import { childPidsOf, cpuSecondsOf, dataOf, fmt, gql, machine, median, memoryOf, percentile, QUICK, writeResult, ROOT, seedTenant, sleep, startChild, today, waitForGraphQL, type Child } from './lib.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 4 : 15));
const WARMUP = Number(process.env.BENCH_WARMUP ?? (QUICK ? 1 : 3));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 1 : 2));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const LATENCY_SECONDS = QUICK ? 4 : 12;
const WANTED = (process.env.BENCH_GATEWAYS ?? 'mesh,apollo,hive').split(',');
const PROFILE = process.env.BENCH_PROFILE === '1';
const ADMIN = { email: 'admin@bench.local', password: 'bench-admin-password' };

const tmp = mkdtempSync(path.join(tmpdir(), 'mesh-bench-'));
const children: Child[] = [];
const cleanup = async (): Promise<void> => {
  for (const child of children.reverse()) await child.stop();
  rmSync(tmp, { recursive: true, force: true });
};
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

/** The widget query: organization (identity) → health (lifecycle), impact summary (impact), 20 configs × `versions` versions (implementation) → authors (identity). */
const widgetQuery = (name: string): string => `query ${name}($versions: Int!) {
  organization {
    id name plan
    health { score band }
    impactSummary { score eventCount }
    configs {
      id name productType headVersion
      versions(first: $versions) {
        totalCount
        edges { node { id number message approvalStatus createdAt risk { level } author { id name email } } }
      }
    }
  }
}`;
const VERSION_VARIANTS = [10, 9, 10, 8];
const bodyOf = (name: string, versions: number): string => JSON.stringify({ query: widgetQuery(name), variables: { versions }, operationName: name });

interface GatewayRun {
  gateway: string;
  round: number;
  load: LoadResult;
  cpuPer1k: number;
  subgraphCpuPer1k: number;
  rssMb: number;
  peakMb: number;
}

const main = async (): Promise<void> => {
  // 1. The subgraphs, in their own process.
  const subgraphs = startChild('subgraphs', [...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${new URL('bench/results/tmp/subgraphs/', ROOT).pathname}`] : []), 'bench/subgraph-host.ts'], {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    MESH_DATA_DIR: path.join(tmp, 'data'),
    MESH_ADMIN_EMAIL: ADMIN.email,
    MESH_ADMIN_PASSWORD: ADMIN.password,
  });
  children.push(subgraphs);
  const urls = JSON.parse((await subgraphs.waitFor(/^subgraphs (\{.*\})$/m))[1]) as Record<string, string>;

  // 2. One supergraph file for every gateway: the committed supergraph with these URLs, and the
  //    `for: SECURITY` purpose dropped (what our gateway does in memory; @apollo/gateway needs it).
  const supergraph = supergraphForGateway(readFileSync(new URL('supergraph.graphql', ROOT), 'utf8')).replace(
    /@join__graph\(name: "([a-z]+)", url: "[^"]*"\)/g,
    (_m, name: string) => `@join__graph(name: "${name}", url: "${urls[name]}")`,
  );
  const supergraphPath = path.join(tmp, 'supergraph.graphql');
  writeFileSync(supergraphPath, supergraph);

  // 3. The gateways, each in its own process.
  const ports = { mesh: 4811, apollo: 4812, hive: 4813 } as const;
  const meshEnv = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    MESH_DATA_DIR: path.join(tmp, 'gateway'),
    // The limiter still runs on every request; the bench's 50 connections from one address and five
    // principals would otherwise be (correctly) throttled.
    MESH_RATE_PRINCIPAL_PER_MIN: '100000000',
    MESH_RATE_TENANT_PER_MIN: '100000000',
    MESH_RATE_IP_PER_MIN: '100000000',
  };
  const startMesh = (port: number, sdlPath: string, profile = false): Child =>
    startChild('mesh', [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${new URL('bench/results/tmp/', ROOT).pathname}`] : []), 'gateway/main.ts', '--supergraph', sdlPath, '--port', String(port)], meshEnv);
  const gateways: Record<string, Child> = {};
  gateways.mesh = startMesh(ports.mesh, supergraphPath, PROFILE);
  children.push(gateways.mesh);
  await gateways.mesh.waitFor(/gateway listening/);
  const url = (name: keyof typeof ports): string => `http://127.0.0.1:${ports[name]}/graphql`;

  // 4. Seed through the real API: 5 users, 20 configs × 10 versions.
  const seedStarted = performance.now();
  const tenant = await seedTenant(url('mesh'), ADMIN, { name: 'Bench Co', users: 5, configs: 20, versions: 10 });
  console.log(`seeded 20 configs × 10 versions through the gateway in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);

  if (WANTED.includes('apollo')) {
    gateways.apollo = startChild('apollo', ['bench/peers/apollo-gateway.ts', supergraphPath, String(ports.apollo)], { NODE_ENV: 'production' });
    children.push(gateways.apollo);
  }
  if (WANTED.includes('hive')) {
    const bin = new URL('node_modules/@graphql-hive/gateway/dist/bin.js', ROOT).pathname;
    gateways.hive = startChild('hive', [bin, 'supergraph', supergraphPath, '--port', String(ports.hive), '--host', '127.0.0.1', '-c', 'bench/peers/hive.config.ts'], { NODE_ENV: 'production' });
    children.push(gateways.hive);
  }
  const names = Object.keys(gateways) as Array<keyof typeof ports>;
  for (const name of names) await waitForGraphQL(url(name));
  for (const name of names) {
    const forked = childPidsOf(gateways[name].pid);
    if (forked.length) throw new Error(`${name} forked worker processes ${forked.join(', ')}; the comparison needs one process per gateway`);
  }

  // 5. Same answers from every gateway (and a sanity check of the shape: 20 × 10).
  const sample = widgetQuery('ConfigBoardSample');
  const answers: Record<string, string> = {};
  for (const name of names) {
    const data = dataOf(await gql<{ organization: { configs: Array<{ versions: { edges: unknown[] } }> } }>(url(name), sample, { versions: 10 }, tenant.tokens[0]), `${name} widget query`);
    const configs = data.organization.configs;
    if (configs.length !== 20 || configs.some((c) => c.versions.edges.length !== 10)) throw new Error(`${name}: expected 20 configs × 10 versions, got ${configs.length}`);
    answers[name] = JSON.stringify(data);
  }
  const identical = names.every((name) => answers[name] === answers.mesh);
  if (!identical) throw new Error(`gateways disagree on the widget query's data: ${names.map((n) => `${n}=${answers[n].length} chars`).join(', ')}`);

  // 6. Overhead without queueing (one request at a time): record the subgraph fetches of one widget
  //    request, then interleave direct replays of them with the same request through each gateway.
  const critical = await measureCriticalPath(supergraph, urls, tenant.tokens[0], startMesh, Object.fromEntries(names.map((n) => [n, url(n)])));

  // 8. Throughput: alternating rounds A B C A B C, 50 connections, varied operations and variables.
  const bodies = Array.from({ length: CONNECTIONS }, (_, i) => VERSION_VARIANTS.map((v) => bodyOf(`ConfigBoard${i}`, v)));
  const headers = tenant.tokens.map((token) => ({ authorization: `Bearer ${token}` }));
  const runs: GatewayRun[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const name of names) {
      const measured = await runLoad(url(name), { connections: CONNECTIONS, seconds: SECONDS, warmupSeconds: WARMUP, bodies, headers }, gateways[name].pid, subgraphs.pid);
      runs.push({ gateway: name, round, ...measured });
      const r = measured.load;
      console.log(`round ${round} ${name}: ${fmt(r.rps)} req/s, p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms, ${r.failures} failures${r.firstFailure ? ` (${r.firstFailure.slice(0, 200)})` : ''}, CPU ${fmt(measured.cpuPer1k, 2)} s/1k, RSS ${fmt(measured.rssMb, 0)} MB`);
    }
  }

  // 9. Report.
  const report = renderReport(names, runs, critical, tenant);
  console.log(report);
  writeResult('gateways', report);
  if (PROFILE) await gateways.mesh.stop();
};

/** Runs bench/load.ts against `target`, reading the gateway's and subgraphs' CPU around the measured window. */
const runLoad = async (target: string, spec: Omit<LoadSpec, 'url'>, gatewayPid: number, subgraphPid: number): Promise<Omit<GatewayRun, 'gateway' | 'round'>> => {
  const specPath = path.join(tmp, `load-${Date.now()}.json`);
  writeFileSync(specPath, JSON.stringify({ url: target, ...spec }));
  const load = startChild('load', ['bench/load.ts', specPath]);
  await load.waitFor(/^measure-start$/m, (spec.warmupSeconds + 30) * 1000);
  const cpu0 = cpuSecondsOf(gatewayPid);
  const sub0 = cpuSecondsOf(subgraphPid);
  await load.waitFor(/^measure-end$/m, (spec.seconds + 30) * 1000);
  const cpu1 = cpuSecondsOf(gatewayPid);
  const sub1 = cpuSecondsOf(subgraphPid);
  const memory = memoryOf(gatewayPid);
  const result = JSON.parse((await load.waitFor(/^result (\{.*\})$/m, 120_000))[1]) as LoadResult;
  await load.stop();
  const thousands = result.requests / 1000;
  return { load: result, cpuPer1k: (cpu1 - cpu0) / thousands, subgraphCpuPer1k: (sub1 - sub0) / thousands, rssMb: memory.rssMb, peakMb: memory.peakMb };
};

interface Fetch {
  subgraph: string;
  body: string;
  response: string;
  headers: Record<string, string>;
  start: number;
  end: number;
}

interface CriticalPath {
  /** Fetches in start order, each with the fetch it waited for, numbered from 1. */
  plan: Array<{ subgraph: string; after: number[] }>;
  fetches: number;
  p50: number;
  p99: number;
  samples: number;
  /** The same request through each gateway, one at a time, interleaved with the direct replays. */
  gateways: Record<string, { p50: number; p99: number }>;
}

/**
 * Records the subgraph fetches one widget request causes (a recording proxy in front of each
 * subgraph, our gateway in a separate process pointed at the proxies), then replays exactly those
 * requests directly against the subgraphs, each as soon as the fetch it waited for in the recording
 * is done (an entity fetch: the one whose answer holds its representations; otherwise the last to
 * end before it started): the critical path without a gateway. Each direct
 * replay is followed by the same widget request through every gateway in turn (one request in flight
 * at a time), so machine noise hits all of them alike; p50s are compared.
 */
const measureCriticalPath = async (supergraph: string, urls: Record<string, string>, token: string, startMesh: (port: number, sdlPath: string) => Child, gatewayUrls: Record<string, string>): Promise<CriticalPath> => {
  const fetches: Fetch[] = [];
  let recording = false;
  const pools = Object.fromEntries(Object.entries(urls).map(([name, u]) => [name, new Pool(new URL(u).origin, { connections: 16 })]));
  const proxies: Server[] = [];
  const proxyUrls: Record<string, string> = {};
  for (const [name, target] of Object.entries(urls)) {
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && ['authorization', 'content-type', 'accept', 'x-correlation-id', 'traceparent', 'apollo-require-preflight'].includes(k)) headers[k] = v;
        const start = performance.now();
        void pools[name]
          .request({ method: req.method === 'GET' ? 'GET' : 'POST', path: req.url ?? '/', headers, body: req.method === 'GET' ? undefined : body })
          .then(async (answer) => {
            const text = await answer.body.text();
            if (recording && req.method === 'POST') fetches.push({ subgraph: name, body, response: text, headers, start, end: performance.now() });
            res.writeHead(answer.statusCode, { 'content-type': 'application/json' });
            res.end(text);
          })
          .catch((error: Error) => {
            res.writeHead(502);
            res.end(error.message);
          });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    proxyUrls[name] = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}${new URL(target).pathname}`;
    proxies.push(server);
  }
  const proxied = supergraph.replace(/@join__graph\(name: "([a-z]+)", url: "[^"]*"\)/g, (_m, name: string) => `@join__graph(name: "${name}", url: "${proxyUrls[name]}")`);
  const proxiedPath = path.join(tmp, 'supergraph-recording.graphql');
  writeFileSync(proxiedPath, proxied);
  const recorder = startMesh(4819, proxiedPath);
  children.push(recorder);
  await recorder.waitFor(/gateway listening/);
  const recorderUrl = 'http://127.0.0.1:4819/graphql';
  await waitForGraphQL(recorderUrl);
  dataOf(await gql(recorderUrl, widgetQuery('ConfigBoardSample'), { versions: 10 }, token), 'recording warm-up');
  recording = true;
  dataOf(await gql(recorderUrl, widgetQuery('ConfigBoardSample'), { versions: 10 }, token), 'recorded request');
  recording = false;
  await recorder.stop();
  for (const server of proxies) await new Promise<void>((resolve) => server.close(() => resolve()));

  // The plan's shape from the recording: an entity fetch waited for the fetch whose answer holds its
  // first representation's id; any other fetch for the one that ended last before it started.
  fetches.sort((a, b) => a.start - b.start);
  const firstRepresentationId = (f: Fetch): string | null => {
    const representations = (JSON.parse(f.body) as { variables?: { representations?: Array<{ id?: unknown }> } }).variables?.representations;
    const id = representations?.[0]?.id;
    return typeof id === 'string' ? id : null;
  };
  const dependsOn = fetches.map((f) => {
    const before = fetches.map((g, j) => ({ g, j })).filter(({ g }) => g.end <= f.start).sort((a, b) => b.g.end - a.g.end);
    const id = firstRepresentationId(f);
    const parent = (id ? before.find(({ g }) => g.response.includes(`"${id}"`)) : undefined) ?? before[0];
    return parent ? [parent.j] : [];
  });
  const replay = async (): Promise<number> => {
    const started = performance.now();
    const done: Array<Promise<void>> = [];
    fetches.forEach((f, i) => {
      done[i] = Promise.all(dependsOn[i].map((j) => done[j])).then(async () => {
        const answer = await pools[f.subgraph].request({ method: 'POST', path: new URL(urls[f.subgraph]).pathname, headers: f.headers, body: f.body });
        const text = await answer.body.text();
        if (answer.statusCode !== 200 || text.includes('"errors"')) throw new Error(`direct ${f.subgraph} fetch failed: ${answer.statusCode} ${text.slice(0, 300)}`);
      });
    });
    await Promise.all(done);
    return performance.now() - started;
  };
  const body = bodyOf('ConfigBoardSample', 10);
  const gatewayPools = Object.fromEntries(Object.entries(gatewayUrls).map(([name, u]) => [name, new Pool(new URL(u).origin, { connections: 1 })]));
  const viaGateway = async (name: string): Promise<number> => {
    const started = performance.now();
    const answer = await gatewayPools[name].request({ method: 'POST', path: new URL(gatewayUrls[name]).pathname, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
    const text = await answer.body.text();
    if (answer.statusCode !== 200 || text.includes('"errors"')) throw new Error(`${name} sample request failed: ${answer.statusCode} ${text.slice(0, 300)}`);
    return performance.now() - started;
  };
  for (let i = 0; i < 20; i++) {
    await replay();
    for (const name of Object.keys(gatewayPools)) await viaGateway(name);
  }
  const times: number[] = [];
  const through: Record<string, number[]> = Object.fromEntries(Object.keys(gatewayPools).map((name) => [name, []]));
  const until = performance.now() + LATENCY_SECONDS * 1000;
  while (performance.now() < until) {
    times.push(await replay());
    for (const name of Object.keys(gatewayPools)) through[name].push(await viaGateway(name));
  }
  times.sort((a, b) => a - b);
  await Promise.all([...Object.values(pools), ...Object.values(gatewayPools)].map((p) => p.close()));
  const gateways = Object.fromEntries(
    Object.entries(through).map(([name, list]) => {
      const sorted = list.sort((a, b) => a - b);
      return [name, { p50: percentile(sorted, 50), p99: percentile(sorted, 99) }];
    }),
  );
  return { plan: fetches.map((f, i) => ({ subgraph: f.subgraph, after: dependsOn[i].map((j) => j + 1) })), fetches: fetches.length, p50: percentile(times, 50), p99: percentile(times, 99), samples: times.length, gateways };
};

const LABELS: Record<string, string> = {
  mesh: 'Cognitive Mesh gateway (ours)',
  apollo: 'plain @apollo/gateway 2.14 in @apollo/server 5',
  hive: 'Hive Gateway (@graphql-hive/gateway 2.15)',
};

const renderReport = (names: string[], runs: GatewayRun[], critical: CriticalPath, tenant: { tokens: string[] }): string => {
  const of = (name: string): GatewayRun[] => runs.filter((r) => r.gateway === name);
  const stat = (name: string, pick: (r: GatewayRun) => number): number => median(of(name).map(pick));
  const rps = (name: string): number => stat(name, (r) => r.load.rps);
  const overhead = (name: string): number => critical.gateways[name].p50 - critical.p50;
  const lines: string[] = [];
  lines.push(`### Gateway throughput and overhead, ${today()}`);
  lines.push('');
  lines.push(`${machine()}. Shared machine: absolute numbers are noisy; the ratios come from alternating runs in one session.`);
  lines.push('');
  lines.push(`Workload: the config-board widget query — organization (identity) → health (lifecycle), impact summary (impact), 20 configs × 10 versions (implementation) → 200 version authors (identity): ${critical.fetches} subgraph fetches (${critical.plan.map((f, i) => `${i + 1}. ${f.subgraph}${f.after.length ? ` after ${f.after.join(', ')}` : ''}`).join('; ')}). ${CONNECTIONS} keep-alive connections, closed loop, ${SECONDS} s measured after ${WARMUP} s warm-up per run, ${ROUNDS} alternating round(s) of ${names.join(' → ')}; every connection sends its own operation name and cycles \`versions\` through ${VERSION_VARIANTS.join('/')}, with one of ${tenant.tokens.length} users' tokens. Processes: subgraphs (all seven, embedded engines) · each gateway · the load generator. All gateways answer the sample request with identical data.`);
  lines.push('');
  lines.push('| gateway | req/s | p50 ms | p99 ms | failures | gateway CPU s / 1k req | subgraphs CPU s / 1k req | RSS MB (peak) | p50 one at a time | overhead over critical path at p50 |');
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const name of names) {
    const failures = of(name).reduce((sum, r) => sum + r.load.failures, 0);
    const requests = of(name).reduce((sum, r) => sum + r.load.requests, 0);
    lines.push(
      `| ${LABELS[name]} | ${fmt(rps(name), 0)} | ${fmt(stat(name, (r) => r.load.p50))} | ${fmt(stat(name, (r) => r.load.p99))} | ${failures} / ${requests} | ${fmt(stat(name, (r) => r.cpuPer1k), 2)} | ${fmt(stat(name, (r) => r.subgraphCpuPer1k), 2)} | ${fmt(Math.max(...of(name).map((r) => r.rssMb)), 0)} (${fmt(Math.max(...of(name).map((r) => r.peakMb)), 0)}) | ${fmt(critical.gateways[name].p50, 2)} ms | ${fmt(overhead(name), 2)} ms = ${fmt((100 * overhead(name)) / critical.p50, 0)}% |`,
    );
  }
  lines.push('');
  lines.push(`Direct critical path (the same subgraph requests, replayed without a gateway in the plan's order, one request at a time, interleaved with the same widget request through each gateway): p50 ${fmt(critical.p50, 2)} ms, p99 ${fmt(critical.p99, 2)} ms over ${critical.samples} rounds. Overhead = gateway p50 − direct p50, as a share of the direct p50.`);
  lines.push('');
  if (names.includes('mesh')) {
    lines.push('| ratio (ours ÷ peer) | req/s | p50 latency | p99 latency | gateway CPU per request | gateway capacity per core |');
    lines.push('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const peer of names.filter((n) => n !== 'mesh')) {
      const cpu = (name: string): number => stat(name, (r) => r.cpuPer1k);
      lines.push(
        `| vs ${LABELS[peer]} | ${fmt(rps('mesh') / rps(peer), 2)}× | ${fmt(stat('mesh', (r) => r.load.p50) / stat(peer, (r) => r.load.p50), 2)}× | ${fmt(stat('mesh', (r) => r.load.p99) / stat(peer, (r) => r.load.p99), 2)}× | ${fmt(cpu('mesh') / cpu(peer), 2)}× | ${fmt(cpu(peer) / cpu('mesh'), 2)}× |`,
      );
    }
    lines.push('');
    lines.push(
      `Gateway capacity per core = 1,000 ÷ its CPU seconds per 1,000 requests (derived: the req/s one fully busy core would give each gateway if the subgraphs cost nothing): ${names.map((n) => `${n} ${fmt(1000 / stat(n, (r) => r.cpuPer1k), 0)}`).join(', ')}. If gateway, subgraphs and load generator alone saturated the two cores, the req/s ratio could not exceed (peer CPU + subgraphs CPU) ÷ (our CPU + subgraphs CPU) per request: ${names
        .filter((n) => n !== 'mesh')
        .map((peer) => `${fmt((stat(peer, (r) => r.cpuPer1k) + stat(peer, (r) => r.subgraphCpuPer1k)) / (stat('mesh', (r) => r.cpuPer1k) + stat('mesh', (r) => r.subgraphCpuPer1k)), 2)}× vs ${peer}`)
        .join(', ')}; when the shared machine's other work holds most of the cores, closed-loop req/s follows per-request latency instead.`,
    );
    lines.push('');
  }
  lines.push('Per run (alternating order):');
  lines.push('');
  lines.push('| round | gateway | req/s | p50 ms | p99 ms | CPU s / 1k req |');
  lines.push('| ---: | --- | ---: | ---: | ---: | ---: |');
  for (const r of runs) lines.push(`| ${r.round} | ${r.gateway} | ${fmt(r.load.rps, 0)} | ${fmt(r.load.p50)} | ${fmt(r.load.p99)} | ${fmt(r.cpuPer1k, 2)} |`);
  lines.push('');
  lines.push('Defaults and settings of each gateway:');
  lines.push('');
  lines.push(`- **ours**: \`node gateway/main.ts\` (NODE_ENV=production): PooledDataSource (undici, ${DEFAULT_SUBGRAPH_CONNECTIONS} keep-alive connections per subgraph), JWT verification at the edge, operation limits, rate limiter (limits raised so the load is not throttled; it still runs per request), Prometheus metrics, correlation ids.`);
  lines.push('- **@apollo/gateway**: `new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl, buildService }) })` + `startStandaloneServer` (NODE_ENV=production), all defaults (RemoteGraphQLDataSource over make-fetch-happen, in-memory document and query-plan caches); `buildService` returns a RemoteGraphQLDataSource whose `willSendRequest` forwards `authorization` (the documented way to pass headers).');
  lines.push('- **Hive Gateway**: `hive-gateway supergraph <file>` CLI (NODE_ENV=production), defaults (fork 1 = one process; its parse/validate caches; no response cache); config sets only `propagateHeaders.fromClientToSubgraphs` → `authorization` (documented header propagation).');
  lines.push('');
  return lines.join('\n');
};

try {
  await main();
} catch (error) {
  console.error(error);
  for (const child of children) if (child.process.exitCode === null) console.error(`--- ${child.name} output ---\n${child.output().slice(-2000)}`);
  process.exitCode = 1;
}
await cleanup();
await sleep(0);
process.exit(process.exitCode ?? 0);

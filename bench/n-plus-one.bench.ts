/**
 * N+1 benchmark: store round trips per request for a list of 100 entities with a cross-subgraph field,
 * next to the number of subgraph fetches. With DataLoader every fetch costs one store round trip.
 *   ./node_modules/.bin/node bench/n-plus-one.bench.ts
 * The whole supergraph runs in this process (all-in-one, embedded engines, temp data dir), so the
 * bench reads each subgraph's store port counter (`DocumentStore.stats.roundTrips`) and the
 * subgraphs' request counter (`mesh_graphql_requests_total{service}`) around each request.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startAllInOne } from '../all-in-one.ts';
import { loadConfig } from '../platform/config.ts';
import { createLogger } from '../platform/logger.ts';
import { graphqlRequests } from '../platform/metrics.ts';
import { dataOf, gql, machine, QUICK, writeResult, seedTenant, sleep, today } from './lib.ts';

const REQUESTS = QUICK ? 5 : 20;
const QUERY = `query RecentDeployments($first: Int!) {
  deployments(first: $first) {
    edges { node { id environment deployedAt previousVersion deployedBy { id name email roles } } }
  }
}`;

const dataDir = mkdtempSync(path.join(tmpdir(), 'mesh-bench-n1-'));
const admin = { email: 'admin@bench.local', password: 'bench-admin-password' };
const config = loadConfig({ NODE_ENV: 'test', MESH_DATA_DIR: dataDir, PORT: '0', MESH_ADMIN_EMAIL: admin.email, MESH_ADMIN_PASSWORD: admin.password, MESH_RATE_PRINCIPAL_PER_MIN: '1000000' });
const mesh = await startAllInOne(config, createLogger('silent'), { subgraphPorts: 'ephemeral' });
let exitCode = 0;
try {
  const tenant = await seedTenant(mesh.url, admin, { name: 'N Plus One Co', users: 5, configs: 20, versions: 5, deployments: 100 });
  const token = tenant.tokens[0];

  const roundTrips = (): Record<string, number> => Object.fromEntries(mesh.subgraphs.map((s) => [s.name, s.deps.store.stats.roundTrips]));
  const fetches = async (): Promise<Record<string, number>> => {
    const counts: Record<string, number> = {};
    for (const { labels, value } of (await graphqlRequests.get()).values) {
      const service = String(labels.service);
      if (service !== 'gateway') counts[service] = (counts[service] ?? 0) + value;
    }
    return counts;
  };
  const quiet = async (): Promise<void> => {
    // Let consumers and the outbox relay finish the seeding's events, so only the request counts.
    for (let stable = 0, last = -1; stable < 3; ) {
      await sleep(300);
      const total = Object.values(roundTrips()).reduce((a, b) => a + b, 0);
      stable = total === last ? stable + 1 : 0;
      last = total;
    }
  };
  await quiet();
  const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
  const measure = async (first: number): Promise<{ trips: Record<string, number>; fetches: Record<string, number> }> => {
    const trips0 = roundTrips();
    const fetches0 = await fetches();
    const data = dataOf(await gql<{ deployments: { edges: Array<{ node: { deployedBy: { name: string } | null } }> } }>(mesh.url, QUERY, { first }, token), 'deployments');
    const edges = data.deployments.edges;
    if (edges.length !== first || edges.some((e) => !e.node.deployedBy?.name)) throw new Error(`expected ${first} deployments with their deployers, got ${edges.length}`);
    const trips1 = roundTrips();
    const fetches1 = await fetches();
    const fetched = Object.fromEntries(Object.keys(fetches1).map((k) => [k, fetches1[k] - (fetches0[k] ?? 0)]).filter(([, v]) => (v as number) > 0));
    // Only the subgraphs the request reached: background work elsewhere (the lifecycle schedulers'
    // ticks, consumers) is not part of it.
    return {
      trips: Object.fromEntries(Object.keys(trips1).filter((k) => k in fetched).map((k) => [k, trips1[k] - trips0[k]])),
      fetches: fetched,
    };
  };
  const hundred: Array<Awaited<ReturnType<typeof measure>>> = [];
  const ten: Array<Awaited<ReturnType<typeof measure>>> = [];
  for (let i = 0; i < REQUESTS; i++) {
    hundred.push(await measure(100));
    ten.push(await measure(10));
  }
  const maxTrips = Math.max(...hundred.map((r) => sum(r.trips)));
  const maxFetches = Math.max(...hundred.map((r) => sum(r.fetches)));
  const maxTripsTen = Math.max(...ten.map((r) => sum(r.trips)));
  const equal = hundred.every((r) => sum(r.trips) === sum(r.fetches));
  const constant = maxTrips === maxTripsTen;
  const last = hundred.at(-1) ?? { trips: {}, fetches: {} };
  const lastTen = ten.at(-1) ?? { trips: {}, fetches: {} };
  const services = [...new Set([...Object.keys(last.trips), ...Object.keys(last.fetches)])];
  const report = [
    `### N+1: store round trips per request, ${today()}`,
    '',
    `${machine()}. All-in-one, embedded store; ${REQUESTS} requests each of \`deployments(first: 100)\` and \`deployments(first: 10)\` selecting \`deployedBy { id name email roles }\` — deployments (implementation) each with its deployer, a User resolved by identity through \`_entities\`. Round trips are read from each subgraph's store port counter, fetches from the subgraphs' request counter.`,
    '',
    '| subgraph | fetches per request (100 entities) | store round trips (100 entities) | store round trips (10 entities) |',
    '| --- | ---: | ---: | ---: |',
    ...services.map((s) => `| ${s} | ${last.fetches[s] ?? 0} | ${last.trips[s] ?? 0} | ${lastTen.trips[s] ?? 0} |`),
    `| **total (worst of ${REQUESTS})** | **${maxFetches}** | **${maxTrips}** | **${maxTripsTen}** |`,
    '',
    constant ? 'No N+1: round trips do not grow with the list (DataLoader batches the 100 `_entities` representations into one `getMany`).' : 'N+1: round trips grow with the list size.',
    equal
      ? 'Store round trips equal subgraph fetches on every request.'
      : `Store round trips exceed subgraph fetches by up to ${maxTrips - maxFetches} on some request (constant, not per entity): ${hundred.filter((r) => sum(r.trips) !== sum(r.fetches)).length} of ${REQUESTS} requests.`,
    '',
  ].join('\n');
  if (!constant) exitCode = 1;
  console.log(report);
  writeResult('n-plus-one', report);
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await mesh.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);

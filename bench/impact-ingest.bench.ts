/**
 * Impact ingest benchmark: record-to-queryable latency through the real gateway (loopback, stops by itself).
 *   ./node_modules/.bin/node bench/impact-ingest.bench.ts          (full: 20 events/s for 60 s)
 *   BENCH_QUICK=1 ./node_modules/.bin/node bench/impact-ingest.bench.ts   (5 events/s for 5 s, prints only)
 *
 * The whole supergraph in one process (all-in-one, embedded engines, temp data dir), as `npm start` runs it.
 * Open loop at a sustained rate: event i is due at start + i/rate; its latency is measured from that due
 * time (so a slow server cannot hide queueing delay), through
 *   recordImpactEvent (gateway → impact, consent check, store + outbox commit, adoption graph)
 *   → impactScore(PERSON, that person) { eventCount } answers with the event counted (retried if not).
 * Every 10th event also measures record → impactDashboard whose organization.eventCount includes it.
 * The SLO of the spec: logged, scored and queryable in < 500 ms.
 * Afterwards, the same impactScore query sequentially via the gateway and directly against the impact
 * subgraph (same token), for the gateway's overhead ratio in the same run.
 * Env: BENCH_RATE (20), BENCH_SECONDS (60), BENCH_PEOPLE (200), BENCH_QUICK.
 * Writes bench/results/impact-ingest-<date>.md (not in quick mode).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dataOf, gql, signIn, startTestMesh, waitHealthy } from '../test/client.ts';

const QUICK = process.env.BENCH_QUICK === '1';
const RATE = Number(process.env.BENCH_RATE ?? (QUICK ? 5 : 20));
const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 5 : 60));
const PEOPLE = Number(process.env.BENCH_PEOPLE ?? (QUICK ? 20 : 200));
const OVERHEAD_SAMPLES = QUICK ? 50 : 300;
const SLO_MS = 500;

const hardStop = setTimeout(() => {
  console.error('bench: hard time limit reached, exiting');
  process.exit(3);
}, (SECONDS + 300) * 1000);
hardStop.unref();

const percentile = (sorted: readonly number[], p: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN);
const ms = (v: number): string => `${v.toFixed(1)} ms`;
const sortedOf = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);

// The bench measures the engine, not the rate limiter: raise the per-principal limit above the load.
const t = await startTestMesh({ MESH_RATE_PRINCIPAL_PER_MIN: '1000000', MESH_RATE_TENANT_PER_MIN: '1000000', MESH_RATE_IP_PER_MIN: '1000000' });
await waitHealthy(t.base);
const admin = (await signIn(t.url, t.adminEmail, t.adminPassword)).accessToken;
const orgId = dataOf(await gql<{ createOrganization: { id: string } }>(t.url, `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { id } }`, { input: { name: 'Bench Impact' } }, admin)).createOrganization.id;
dataOf(await gql(t.url, `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`, { input: { organizationId: orgId, email: 'owner@bench.test', name: 'Bench Owner', roles: ['OWNER'], password: 'a-long-password-1' } }, admin));
const token = (await signIn(t.url, 'owner@bench.test', 'a-long-password-1')).accessToken;

// People who consented to impact tracking (recorded by the owner), spread over 10 teams.
const people = Array.from({ length: PEOPLE }, (_, i) => `bench-person-${String(i).padStart(4, '0')}`);
for (const personId of people) dataOf(await gql(t.url, `mutation($input: SetImpactConsentInput!) { setImpactConsent(input: $input) { id } }`, { input: { personId, scopes: ['IMPACT_TRACKING'] } }, token));

const RECORD = `mutation Record($input: RecordImpactEventInput!) { recordImpactEvent(input: $input) { id occurredAt } }`;
const SCORE = `query Score($p: ID!, $w: ImpactWindowInput!) { impactScore(subjectType: PERSON, subjectId: $p, window: $w) { score eventCount confidence components { name value } provenance { inputsDigest } } }`;
const DASHBOARD = `query Dash($w: ImpactWindowInput!) { impactDashboard(window: $w) { confidence organization { score eventCount } topSolutions { solutionId impact { score } virality { score } } teamsByLift { subjectId trend } outcomeDeltas { metric meanLift } } }`;
const windowOf = () => ({ from: new Date(Date.now() - 7 * 86_400_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() });

/** The five kinds in turn, with realistic details. */
const inputFor = (i: number, personId: string): Record<string, unknown> => {
  const teamId = `bench-team-${i % 10}`;
  switch (i % 5) {
    case 0:
      return { kind: 'WORKFLOW_AUGMENTATION', personId, teamId, augmentation: { workflowId: `wf-${i % 7}`, minutesSaved: 5 + (i % 40) } };
    case 1:
      return { kind: 'SOLUTION_ADOPTION', personId, teamId, adoption: { solutionId: `sol-${i % 12}`, adopterId: personId, ...(i % 3 ? { sourceId: people[(i * 7) % people.length] } : {}) } };
    case 2:
      return { kind: 'INTERACTION_DEPTH', personId, teamId, interaction: { turns: 1 + (i % 25), durationMinutes: 3 } };
    case 3:
      return { kind: 'CALENDAR_COVERAGE', personId, teamId, calendar: { coveredMinutes: 30 + (i % 60), totalMinutes: 480 } };
    default:
      return { kind: 'BUSINESS_OUTCOME', personId, teamId, outcome: { metric: `metric-${i % 4}`, baseline: 100, value: 90 + (i % 30) } };
  }
};

interface Sample {
  total: number;
  record: number;
  query: number;
  retries: number;
}

const expected = new Map<string, number>();
let recorded = 0;
let errors = 0;

/** One measured event: record, then read until the score counts it. Latency from the due time. */
const measure = async (i: number, due: number, samples: Sample[], dashboards: number[]): Promise<void> => {
  const personId = people[i % people.length];
  const want = (expected.get(personId) ?? 0) + 1;
  expected.set(personId, want);
  const sent = performance.now();
  const result = await gql(t.url, RECORD, { input: inputFor(i, personId) }, token);
  const recordedAt = performance.now();
  if (result.body.errors) {
    errors += 1;
    console.error('record failed', JSON.stringify(result.body.errors));
    return;
  }
  recorded += 1;
  const orgCountAtRecord = recorded;
  let retries = 0;
  for (;;) {
    const score = dataOf(await gql<{ impactScore: { eventCount: number } }>(t.url, SCORE, { p: personId, w: windowOf() }, token)).impactScore;
    if (score.eventCount >= want) break;
    retries += 1;
    if (retries > 100) throw new Error(`event of ${personId} never became queryable`);
  }
  const done = performance.now();
  samples.push({ total: done - due, record: recordedAt - sent, query: done - recordedAt, retries });
  if (i % 10 === 0) {
    for (let attempt = 0; ; attempt++) {
      const dash = dataOf(await gql<{ impactDashboard: { organization: { eventCount: number } } }>(t.url, DASHBOARD, { w: windowOf() }, token)).impactDashboard;
      if (dash.organization.eventCount >= orgCountAtRecord) break;
      if (attempt > 100) throw new Error('dashboard never reflected the event');
    }
    dashboards.push(performance.now() - due);
  }
};

/** Open-loop run at `rate` for `count` events. */
const run = async (rate: number, count: number, offset: number): Promise<{ samples: Sample[]; dashboards: number[]; seconds: number }> => {
  const samples: Sample[] = [];
  const dashboards: number[] = [];
  const pending: Array<Promise<void>> = [];
  const start = performance.now();
  for (let n = 0; n < count; n++) {
    const due = start + (n * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(measure(offset + n, due, samples, dashboards));
  }
  await Promise.all(pending);
  return { samples, dashboards, seconds: (performance.now() - start) / 1000 };
};

const loadBefore = os.loadavg()[0];
// Warm-up (JIT, query plans, store files), not measured.
await run(RATE, Math.min(50, RATE * 2), 0);
const warm = recorded;
const total = RATE * SECONDS;
const { samples, dashboards, seconds } = await run(RATE, total, warm);

// Gateway overhead: the same query, sequentially, via the gateway and straight at the impact subgraph.
const impactUrl = t.mesh.subgraphs.find((s) => s.name === 'impact')?.url;
if (!impactUrl) throw new Error('impact subgraph not running');
const timeQuery = async (url: string): Promise<number[]> => {
  const out: number[] = [];
  for (let n = 0; n < OVERHEAD_SAMPLES; n++) {
    const started = performance.now();
    dataOf(await gql(url, SCORE, { p: people[n % people.length], w: windowOf() }, token));
    out.push(performance.now() - started);
  }
  return out;
};
await timeQuery(impactUrl);
const direct = sortedOf(await timeQuery(impactUrl));
const viaGateway = sortedOf(await timeQuery(t.url));

const totals = sortedOf(samples.map((s) => s.total));
const records = sortedOf(samples.map((s) => s.record));
const queries = sortedOf(samples.map((s) => s.query));
const dash = sortedOf(dashboards);
const withinSlo = samples.filter((s) => s.total < SLO_MS).length;
const retried = samples.filter((s) => s.retries > 0).length;
const date = new Date().toISOString().slice(0, 10);
const row = (name: string, values: readonly number[]): string => `| ${name} | ${values.length} | ${ms(percentile(values, 50))} | ${ms(percentile(values, 95))} | ${ms(percentile(values, 99))} | ${ms(values[values.length - 1] ?? NaN)} |`;
const table = [
  `### Impact ingest: record-to-queryable through the gateway, ${date}${QUICK ? ' (quick mode)' : ''}`,
  '',
  `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}), Node ${process.version}; all-in-one (7 subgraphs + @apollo/gateway, embedded NeDB/graphology/in-process bus), loopback, client in the same process; 1-minute load average ${loadBefore.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end (the machine is shared).`,
  `Open loop: ${total} events at ${RATE}/s over ${PEOPLE} people (took ${seconds.toFixed(1)} s; latency from each event's due time), the five event kinds in turn; ${warm} warm-up events before; ${recorded} events in the store at the end.`,
  '',
  '| measurement | n | p50 | p95 | p99 | max |',
  '| --- | --- | --- | --- | --- | --- |',
  row('record → impactScore counts it (record-to-queryable)', totals),
  row('  of which recordImpactEvent (HTTP round trip)', records),
  row('  of which impactScore until it counts the event', queries),
  row('record → impactDashboard counts it (every 10th event)', dash),
  row(`impactScore via gateway (sequential, idle)`, viaGateway),
  row(`impactScore straight at the impact subgraph (same run)`, direct),
  '',
  `- within the < ${SLO_MS} ms SLO: ${withinSlo} of ${samples.length} (${((100 * withinSlo) / Math.max(1, samples.length)).toFixed(1)}%); events that needed a second read to be counted: ${retried}; failed records: ${errors}.`,
  `- gateway overhead on impactScore: p50 ${(percentile(viaGateway, 50) / percentile(direct, 50)).toFixed(2)}× the subgraph alone (${ms(percentile(viaGateway, 50))} vs ${ms(percentile(direct, 50))}).`,
  '',
].join('\n');
console.log(table);
if (!QUICK) {
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL(`./results/impact-ingest-${date}.md`, import.meta.url), table);
}
await t.stop();
process.exit(errors ? 1 : 0);

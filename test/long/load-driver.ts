import { Pool } from 'undici';
import { dataOf, gql, signIn } from '../client.ts';
import { ADMIN } from './child-mesh.ts';

/**
 * An open-loop load driver: requests are started on a fixed schedule (the target rate), whatever the
 * answers take, so a slow server shows up as latency rather than as a lower offered rate. The mix is a
 * widget's: identity-only reads, a query across identity/presales/runtime/impact, lists from presales
 * and lifecycle, and 5% writes; spread over several principals in several organizations, under the
 * default rate limits.
 */

export interface LoadPrincipal {
  token: string;
}

export interface LoadResult {
  targetPerMinute: number;
  seconds: number;
  sent: number;
  ok: number;
  errors: string[];
  achievedPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

const OPERATIONS: Array<{ weight: number; query: string; variables?: (i: number) => Record<string, unknown> }> = [
  { weight: 30, query: `{ me { id email roles organization { id name } } }` },
  { weight: 25, query: `{ organization { id name provenance { origin } subscription { plan status } conversationStats { total } impactSummary { score } } }` },
  { weight: 20, query: `query($n: Int) { prospects(first: $n) { edges { node { id companyName stage } } } }`, variables: (i) => ({ n: 5 + (i % 16) }) },
  { weight: 20, query: `query($n: Int) { timeline(first: $n) { edges { node { id kind summary occurredAt } } } }`, variables: (i) => ({ n: 5 + (i % 16) }) },
  { weight: 5, query: `mutation($i: CreateProspectInput!) { createProspect(input: $i) { id } }`, variables: (i) => ({ i: { companyName: `Load Prospect ${i}` } }) },
];
const TOTAL_WEIGHT = OPERATIONS.reduce((sum, op) => sum + op.weight, 0);

const operationFor = (i: number): (typeof OPERATIONS)[number] => {
  let point = (i * 7919) % TOTAL_WEIGHT;
  for (const op of OPERATIONS) {
    if (point < op.weight) return op;
    point -= op.weight;
  }
  return OPERATIONS[0];
};

/** Organizations with an owner and members, each signed in: the principals the load is spread over. */
export const loadPrincipals = async (url: string, organizations: number, usersPerOrganization: number): Promise<LoadPrincipal[]> => {
  const admin = (await signIn(url, ADMIN.email, ADMIN.password)).accessToken;
  const principals: LoadPrincipal[] = [];
  for (let o = 0; o < organizations; o += 1) {
    const org = dataOf(await gql<{ createOrganization: { id: string } }>(url, `mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { id } }`, { i: { name: `Load Org ${o} ${Date.now()}` } }, admin)).createOrganization.id;
    for (let u = 0; u < usersPerOrganization; u += 1) {
      const email = `user${u}.org${o}.${Date.now()}@load.test`;
      dataOf(await gql(url, `mutation($i: CreateUserInput!) { createUser(input: $i) { id } }`, { i: { organizationId: org, email, name: `Load ${u}`, roles: [u === 0 ? 'OWNER' : 'MEMBER'], password: 'a-long-password-1' } }, admin));
      principals.push({ token: (await signIn(url, email, 'a-long-password-1')).accessToken });
    }
    for (let p = 0; p < 20; p += 1) dataOf(await gql(url, OPERATIONS[4].query, { i: { companyName: `Seed Prospect ${p}` } }, principals[principals.length - usersPerOrganization].token));
  }
  return principals;
};

const percentile = (sorted: number[], p: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : 0);

/**
 * Offers `perMinute` requests per minute for `seconds`, then waits for every answer. Requests go over
 * a pool of `connections` keep-alive connections (like autocannon's -c); latency is measured from the
 * moment a request was due, so time spent queued behind a slow server counts.
 */
export const runLoad = async (url: string, principals: LoadPrincipal[], perMinute: number, seconds: number, connections = 64): Promise<LoadResult> => {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections, headersTimeout: 120_000, bodyTimeout: 120_000 });
  const perSecond = perMinute / 60;
  const total = Math.round(perSecond * seconds);
  const latencies: number[] = [];
  const errors: string[] = [];
  const inflight = new Set<Promise<void>>();
  const started = performance.now();
  let sent = 0;
  const fire = (i: number): void => {
    const op = operationFor(i);
    const principal = principals[i % principals.length];
    const t0 = performance.now();
    const request = pool
      .request({ path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${principal.token}` }, body: JSON.stringify({ query: op.query, variables: op.variables?.(i) ?? {} }) })
      .then(async (response) => {
        const text = await response.body.text();
        latencies.push(performance.now() - t0);
        const body = JSON.parse(text) as { errors?: unknown[] };
        if (response.statusCode !== 200 || body.errors?.length) errors.push(`${response.statusCode} ${JSON.stringify(body.errors).slice(0, 200)}`);
      })
      .catch((error: unknown) => void errors.push(String(error)));
    const tracked = request.finally(() => inflight.delete(tracked));
    inflight.add(tracked);
  };
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * perSecond) + 1);
    while (sent < due) fire(sent++);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await Promise.all([...inflight]);
  await pool.close();
  const elapsed = (performance.now() - started) / 1000;
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    targetPerMinute: perMinute,
    seconds,
    sent,
    ok: sent - errors.length,
    errors,
    achievedPerSecond: sent / elapsed,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? 0,
  };
};

export const describeLoad = (r: LoadResult): string =>
  `${r.targetPerMinute}/min for ${r.seconds}s: ${r.sent} sent, ${r.errors.length} errors, ${r.achievedPerSecond.toFixed(1)} req/s, p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms`;

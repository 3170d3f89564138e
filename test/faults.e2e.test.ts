import { runSubgraph } from '../platform/runtime.ts';
import { SUBGRAPHS } from '../subgraphs/catalog.ts';
import { closedPort, createOrganization, createSignedInUser, dataOf, gql, signIn, startTestMesh, waitHealthy, type GraphQLResult, type TestMesh } from './client.ts';

/**
 * Faults. One subgraph is stopped while clients keep sending requests: queries that do not need it
 * keep working, queries that do answer with partial data and an error naming the unavailable service;
 * the subgraph restarts on its port and everything recovers without restarting the gateway. And with
 * the model endpoint down (an OpenAI-compatible base URL on a closed loopback port), AI features
 * answer from the local model and their provenance says so.
 */

const ownerOf = async (t: TestMesh, name: string, email: string): Promise<string> => {
  const admin = (await signIn(t.url, t.adminEmail, t.adminPassword)).accessToken;
  const org = await createOrganization(t.url, admin, name);
  return (await createSignedInUser(t.url, admin, { organizationId: org, email, roles: ['OWNER'], name: 'Owner' })).token;
};

describe('a subgraph goes down under load and comes back', () => {
  let t: TestMesh;
  let owner: string;

  beforeAll(async () => {
    t = await startTestMesh({ MESH_RATE_PRINCIPAL_PER_MIN: '1000000', MESH_RATE_TENANT_PER_MIN: '1000000', MESH_RATE_IP_PER_MIN: '1000000' });
    await waitHealthy(t.base);
    owner = await ownerOf(t, 'Faulty Org', 'owner@faults.test');
  }, 60_000);

  afterAll(async () => {
    await t?.stop();
  });

  it('identity-only queries never fail; impact queries degrade to partial data naming impact, then recover', async () => {
    const ONLY_IDENTITY = `{ me { id email organization { id name } } }`;
    const NEEDS_IMPACT = `{ organization { id name impactSummary { score from to } } }`;
    type Org = { organization: { id: string; name: string; impactSummary: { from: string } | null } };
    // Both work before the fault.
    expect(dataOf(await gql<Org>(t.url, NEEDS_IMPACT, {}, owner)).organization.impactSummary?.from).toEqual(expect.any(String));

    const phase = { name: 'before' as 'before' | 'down' | 'after' };
    const identityFailures: string[] = [];
    const impactAnswers: Array<{ phase: string; result: GraphQLResult<Org> }> = [];
    let running = true;
    let requests = 0;
    const worker = async (): Promise<void> => {
      while (running) {
        const current = phase.name;
        const [identity, impact] = await Promise.all([gql(t.url, ONLY_IDENTITY, {}, owner), gql<Org>(t.url, NEEDS_IMPACT, {}, owner)]);
        requests += 2;
        if (identity.status !== 200 || identity.body.errors?.length) identityFailures.push(`${current}: ${identity.status} ${JSON.stringify(identity.body.errors)}`);
        if (current === phase.name) impactAnswers.push({ phase: current, result: impact });
      }
    };
    const workers = Array.from({ length: 6 }, () => worker());

    // Stop impact's server (its engines too), exactly as a crashed process would disappear.
    const index = t.mesh.subgraphs.findIndex((s) => s.name === 'impact');
    const impact = t.mesh.subgraphs[index];
    const port = Number(new URL(impact.url).port);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await impact.stop();
    phase.name = 'down';
    const downSeen = async (): Promise<boolean> => impactAnswers.filter((a) => a.phase === 'down').length >= 30;
    while (!(await downSeen())) await new Promise((resolve) => setTimeout(resolve, 50));

    // Restart it on the same port; the gateway is not touched.
    const definition = SUBGRAPHS.find((s) => s.name === 'impact');
    if (!definition) throw new Error('impact is not in the catalog');
    t.mesh.subgraphs[index] = await runSubgraph(t.mesh.kernel, 'impact', definition.create, port);
    phase.name = 'after';
    // Bounded wait for the first good answer after restart (the pool reconnects on its own).
    for (let i = 0; i < 200 && !impactAnswers.some((a) => a.phase === 'after' && !a.result.body.errors?.length); i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    const firstGood = impactAnswers.findIndex((a) => a.phase === 'after' && !a.result.body.errors?.length);
    while (impactAnswers.filter((a, i) => a.phase === 'after' && i > firstGood).length < 30) await new Promise((resolve) => setTimeout(resolve, 50));
    running = false;
    await Promise.all(workers);

    console.log(`faults: ${requests} requests; impact answers before/down/after: ${['before', 'down', 'after'].map((p) => impactAnswers.filter((a) => a.phase === p).length).join('/')}`);
    expect(identityFailures).toEqual([]);
    // While down: partial data (the organization from identity) and an error that names impact.
    const down = impactAnswers.filter((a) => a.phase === 'down');
    for (const { result } of down) {
      expect(result.status).toBe(200);
      expect(result.body.data?.organization).toMatchObject({ name: 'Faulty Org', impactSummary: null });
      const error = result.body.errors?.[0];
      expect(error?.extensions.code).toBe('SUBGRAPH_UNAVAILABLE');
      expect(`${error?.message} ${JSON.stringify(error?.extensions)}`).toMatch(/impact/);
      expect(error?.extensions.correlationId).toMatch(/\S/);
      expect(error?.extensions.hint).toMatch(/\S/);
    }
    // After the restart, once it answered, it keeps answering: every later request succeeds.
    expect(firstGood).toBeGreaterThanOrEqual(0);
    const after = impactAnswers.filter((a, i) => a.phase === 'after' && i > firstGood);
    expect(after.filter((a) => a.result.body.errors?.length).map((a) => JSON.stringify(a.result.body.errors))).toEqual([]);
    expect(after.every((a) => a.result.body.data?.organization.impactSummary?.from)).toBe(true);
    expect((await fetch(`${t.base}/health`)).status).toBe(200);
  }, 120_000);
});

describe('the model endpoint is down', () => {
  let t: TestMesh;
  let owner: string;

  beforeAll(async () => {
    const port = await closedPort();
    t = await startTestMesh({ OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1`, OPENAI_API_KEY: 'sk-test-closed-port' });
    await waitHealthy(t.base);
    owner = await ownerOf(t, 'Offline Model Org', 'owner@offline.test');
  }, 60_000);

  afterAll(async () => {
    await t?.stop();
  });

  it('research falls back to the local model and provenance says so', async () => {
    const prospect = dataOf(await gql<{ createProspect: { id: string } }>(t.url, `mutation($i: CreateProspectInput!) { createProspect(input: $i) { id } }`, { i: { companyName: 'Northwind Dental', website: 'https://northwind.example' } }, owner)).createProspect.id;
    const text = 'Northwind Dental is a family dental clinic with 40 employees in three cities. Patients book appointments by phone, and the front desk is overwhelmed by calls about opening hours, insurance and rescheduling. We use WordPress and Calendly.';
    const RUN = `mutation($i: RunResearchInput!) { runResearch(input: $i) { description provenance { model method explanation }
      painPoints { text provenance { model method explanation } } } }`;
    type Report = { runResearch: { description: string; provenance: { model: string | null; method: string; explanation: string }; painPoints: Array<{ text: string; provenance: { model: string | null; explanation: string } }> } };
    const report = dataOf(await gql<Report>(t.url, RUN, { i: { prospectId: prospect, sourceText: text } }, owner)).runResearch;
    expect(report.description.length).toBeGreaterThan(0);
    const modelled = [report.provenance, ...report.painPoints.map((p) => p.provenance)].filter((p) => p.model);
    expect(modelled.length).toBeGreaterThan(0);
    for (const provenance of modelled) {
      expect(provenance.model).toBe('mesh-local');
      expect(provenance.explanation).toMatch(/fallback/i);
      expect(provenance.explanation).toMatch(/model unavailable/i);
    }
  }, 60_000);
});

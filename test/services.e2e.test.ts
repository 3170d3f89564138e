import { readFileSync } from 'node:fs';
import { jest } from '@jest/globals';
import { Admin } from '@platformatic/kafka';
import mongoose from 'mongoose';
import neo4j from 'neo4j-driver';
import { record, type Recording } from '../gateway/subscriptions/client.ts';
import { liveSpecsOf } from '../gateway/subscriptions/live.ts';
import type { EngineState } from '../platform/engine-health.ts';
import { dataOf, gql, signIn } from './client.ts';
import { ENGINE_VARIABLES, ROOT, SUBGRAPH_NAMES, startServicesMesh, type ServicesMesh } from './services.ts';

/**
 * Issue 3's "done means", second half: the end-to-end path passes with MESH_STORE=mongo
 * MESH_GRAPH=neo4j MESH_BUS=kafka in services mode — every subgraph its own process, the gateway
 * another — through the real gateway over HTTP (and graphql-ws when the supergraph declares a
 * subscription). Runs when MONGODB_URI, NEO4J_URI and KAFKA_BROKERS are set (`npm run services:up`,
 * then `source testbed/target/env.sh`; CI always sets them).
 */
// Processes start, events cross Kafka: bounded waits inside, a generous bound per test.
jest.setTimeout(120_000);

const missing = ENGINE_VARIABLES.filter((name) => !process.env[name]);
const maybe = missing.length ? describe.skip : describe;
const title = missing.length
  ? `services mode on MongoDB, Neo4j and Kafka (SKIPPED: ${missing.join(', ')} not set; run \`npm run services:up\` and \`source testbed/target/env.sh\`)`
  : 'services mode on MongoDB, Neo4j and Kafka (every subgraph its own process)';
if (missing.length) console.warn(title);

const CREATE_ORG = `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { id name slug provenance { origin method } } }`;
const CREATE_USER = `mutation($input: CreateUserInput!) { createUser(input: $input) { id email } }`;
const PASSWORD = 'a-long-password-1';

/** Polls `probe` until it returns a value (bounded); the last error or value is in the failure. */
const eventually = async <T>(what: string, probe: () => Promise<T | null | undefined>, timeoutMs = 45_000): Promise<T> => {
  const until = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const value = await probe();
      if (value !== null && value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; last error: ${String(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
};

maybe(title, () => {
  let mesh: ServicesMesh;
  let admin: string;
  let orgId: string;
  let owner: { id: string; token: string };

  beforeAll(async () => {
    mesh = await startServicesMesh();
    // The gateway answers 200 on /health only when every subgraph and every engine is up.
    await eventually('gateway health 200', async () => ((await fetch(`${mesh.base}/health`)).status === 200 ? true : null), 60_000);
    admin = (await signIn(mesh.url, mesh.adminEmail, mesh.adminPassword)).accessToken;
  }, 180_000);

  afterAll(async () => {
    await mesh?.stop();
  }, 60_000);

  it('runs every subgraph and the gateway as separate processes', () => {
    const pids = mesh.processes().map((p) => p.child.pid);
    expect(pids).toHaveLength(SUBGRAPH_NAMES.length + 1);
    expect(new Set(pids).size).toBe(pids.length);
    expect(pids).not.toContain(process.pid);
    const ports = new Set(Object.values(mesh.subgraphUrls).map((u) => new URL(u).port));
    expect(ports.size).toBe(SUBGRAPH_NAMES.length);
  });

  it('reports each engine on /health: kind, up, no error — per subgraph and at the gateway', async () => {
    type SubgraphHealth = { status: string; subgraph: string; engines: Record<'store' | 'graph' | 'bus', EngineState> };
    for (const name of SUBGRAPH_NAMES) {
      const response = await fetch(mesh.subgraphUrls[name].replace(/\/graphql$/, '/health'));
      expect(response.status).toBe(200);
      const body = (await response.json()) as SubgraphHealth;
      expect(body.subgraph).toBe(name);
      expect(body.engines.store).toMatchObject({ kind: 'mongo', status: 'up', lastError: null });
      expect(body.engines.store.detail).toContain(`${mesh.namespace}_${name}`);
      expect(body.engines.graph).toMatchObject({ kind: 'neo4j', status: 'up', lastError: null });
      expect(body.engines.graph.detail).toContain(`namespace ${mesh.namespace}/${name}`);
      expect(body.engines.bus).toMatchObject({ kind: 'kafka', status: 'up', lastError: null });
    }
    const gateway = (await (await fetch(`${mesh.base}/health`)).json()) as { status: string; subgraphs: Record<string, string>; engines: Record<string, Record<string, EngineState>> };
    expect(gateway.status).toBe('ok');
    expect(Object.values(gateway.subgraphs)).toEqual(SUBGRAPH_NAMES.map(() => 'up'));
    expect(gateway.engines.gateway.bus).toMatchObject({ kind: 'kafka', status: 'up', lastError: null });
    for (const name of SUBGRAPH_NAMES) {
      expect(Object.fromEntries(Object.entries(gateway.engines[name]).map(([port, state]) => [port, `${state.kind}:${state.status}`]))).toEqual({ store: 'mongo:up', graph: 'neo4j:up', bus: 'kafka:up' });
    }
  });

  it('signs in, creates an organization and its owner, and the owner signs in; the data is in MongoDB', async () => {
    const created = dataOf(await gql<{ createOrganization: { id: string; slug: string; provenance: { origin: string; method: string } } }>(mesh.url, CREATE_ORG, { input: { name: 'Services Org' } }, admin)).createOrganization;
    expect(created.slug).toBe('services-org');
    expect(created.provenance).toEqual({ origin: 'identity/mongo', method: 'HUMAN' });
    orgId = created.id;
    const user = dataOf(await gql<{ createUser: { id: string } }>(mesh.url, CREATE_USER, { input: { organizationId: orgId, email: 'owner@services.test', name: 'Owner', roles: ['OWNER'], password: PASSWORD } }, admin)).createUser;
    owner = { id: user.id, token: (await signIn(mesh.url, 'owner@services.test', PASSWORD)).accessToken };
    const me = dataOf(await gql<{ me: { id: string; organization: { id: string; name: string } } }>(mesh.url, `{ me { id organization { id name } } }`, {}, owner.token)).me;
    expect(me).toEqual({ id: user.id, organization: { id: orgId, name: 'Services Org' } });

    // Straight from MongoDB: this run's identity database holds the organization, under its tenant.
    const connection = await mongoose.createConnection(process.env.MONGODB_URI ?? '', { dbName: `${mesh.namespace}_identity`, serverSelectionTimeoutMS: 5000 }).asPromise();
    try {
      const names = (await connection.db?.listCollections().toArray())?.map((c) => c.name) ?? [];
      const found: string[] = [];
      for (const name of names) {
        const doc = await connection.db?.collection(name).findOne({ id: orgId });
        if (doc) found.push(name);
      }
      expect(found.length).toBeGreaterThan(0);
    } finally {
      await connection.close();
    }
  });

  it('org.created crosses from identity to presales through Kafka, and one request spans four subgraphs', async () => {
    type Org = { organization: { id: string; provenance: { origin: string }; subscription: { plan: string; provenance: { origin: string } } | null; conversationStats: { total: number; provenance: { origin: string } }; impactSummary: { eventCount: number; provenance: { origin: string } } } };
    const QUERY = `{ organization { id provenance { origin } subscription { plan provenance { origin } } conversationStats { total provenance { origin } } impactSummary { eventCount provenance { origin } } } }`;
    const org = await eventually('presales to open the FREE subscription from org.created', async () => {
      const data = dataOf(await gql<Org>(mesh.url, QUERY, {}, owner.token)).organization;
      return data.subscription ? data : null;
    });
    expect(org.id).toBe(orgId);
    expect(org.provenance.origin).toBe('identity/mongo');
    expect(org.subscription).toEqual({ plan: 'FREE', provenance: { origin: 'presales/mongo' } });
    expect(org.conversationStats).toEqual({ total: 0, provenance: { origin: 'runtime/mongo' } });
    expect(org.impactSummary).toEqual({ eventCount: 0, provenance: { origin: 'impact/mongo' } });

    // The event family's topic exists in Kafka under this run's prefix.
    const kafka = new Admin({ clientId: `${mesh.namespace}-check`, bootstrapBrokers: (process.env.KAFKA_BROKERS ?? '').split(',') });
    try {
      const topics = await kafka.listTopics();
      expect(topics).toContain(`${mesh.namespace}.org_events`);
      expect(topics).not.toContain(`${mesh.namespace}.nope_events`);
    } finally {
      await kafka.close();
    }
  });

  it('config.deployed crosses from implementation to runtime through Kafka', async () => {
    const answers: Array<[string, string]> = [
      ['objectives', 'Resolve order questions without an agent'],
      ['use_cases', 'track an order, start a return'],
      ['kpis', 'automation rate 80%'],
      ['edge_cases', 'customer has no order number: ask for the email'],
      ['escalation_rules', 'when a refund is over $500 hand off to the billing team'],
      ['integrations', 'Zendesk, LegacyERP'],
    ];
    const prd = dataOf(await gql<{ startPrd: { id: string } }>(mesh.url, `mutation($i: StartPrdInput!) { startPrd(input: $i) { id } }`, { i: { title: 'Services Shop', productType: 'CHATBOT' } }, owner.token)).startPrd;
    for (const [questionId, answer] of answers) {
      dataOf(await gql(mesh.url, `mutation($i: AnswerPrdQuestionInput!) { answerPrdQuestion(input: $i) { id } }`, { i: { prdId: prd.id, questionId, answer } }, owner.token));
    }
    dataOf(await gql(mesh.url, `mutation($id: ID!) { approvePrd(input: { prdId: $id }) { id status } }`, { id: prd.id }, owner.token));
    const generated = dataOf(await gql<{ generateConfigFromPrd: { config: { id: string }; version: { number: number } } }>(mesh.url, `mutation($id: ID!) { generateConfigFromPrd(input: { prdId: $id }) { config { id } version { number } } }`, { id: prd.id }, owner.token)).generateConfigFromPrd;
    const deployed = dataOf(await gql<{ deployConfig: { environment: string; provenance: { origin: string } } }>(mesh.url, `mutation($i: DeployConfigInput!) { deployConfig(input: $i) { environment provenance { origin } } }`, { i: { configId: generated.config.id, version: generated.version.number, environment: 'DEV' } }, owner.token)).deployConfig;
    expect(deployed).toEqual({ environment: 'DEV', provenance: { origin: 'implementation/mongo' } });

    const deployment = await eventually('runtime to apply config.deployed', async () => {
      const list = dataOf(await gql<{ runtimeDeployments: Array<{ configId: string; version: string; environment: string; provenance: { origin: string; method: string } }> }>(mesh.url, `{ runtimeDeployments { configId version environment provenance { origin method } } }`, {}, owner.token)).runtimeDeployments;
      return list.find((d) => d.configId === generated.config.id) ?? null;
    });
    expect(deployment).toEqual({ configId: generated.config.id, version: String(generated.version.number), environment: 'dev', provenance: { origin: 'runtime/mongo', method: 'IMPORT' } });
  });

  it('finds cross-team champions from the graph in Neo4j, in the impact namespace and the tenant only', async () => {
    const [h, x, y, z] = ['person-h', 'person-x', 'person-y', 'person-z'];
    const consent = (personId: string) => gql(mesh.url, `mutation($i: SetImpactConsentInput!) { setImpactConsent(input: $i) { id } }`, { i: { personId, scopes: ['PASSION_ANALYSIS'] } }, owner.token);
    const PROFILE = `mutation($i: UpdatePassionProfileInput!) { updatePassionProfile(input: $i) { id passions { topic } } }`;
    for (const p of [h, x, y, z]) dataOf(await consent(p));
    for (const [p, team] of [[x, 'T2'], [y, 'T3'], [z, 'T1']] as const) dataOf(await gql(mesh.url, PROFILE, { i: { personId: p, teamId: team, interests: ['data viz'], skills: [], contributions: [] } }, owner.token));
    const at = (m: number) => `2026-0${m}-15T10:00:00.000Z`;
    dataOf(await gql(mesh.url, PROFILE, {
      i: {
        personId: h,
        teamId: 'T1',
        interests: ['data viz'],
        skills: [{ name: 'Data Viz', tags: ['ABLE_TO_MENTOR'] }],
        contributions: [
          { topic: 'data viz', at: at(7), withPersonIds: [x] },
          { topic: 'data viz', at: at(8), withPersonIds: [y] },
          { topic: 'data viz', at: at(9), withPersonIds: [z] },
        ],
      },
    }, owner.token));
    const champions = dataOf(await gql<{ crossTeamChampions: Array<{ personId: string; betweenness: number; teamsBridged: string[]; collaborators: number; evidencePath: string[]; provenance: { origin: string } }> }>(mesh.url, `{ crossTeamChampions(skill: "Data Viz") { personId betweenness teamsBridged collaborators evidencePath provenance { origin } } }`, {}, owner.token)).crossTeamChampions;
    expect(champions).toEqual([{ personId: h, betweenness: 1, teamsBridged: ['T1', 'T2', 'T3'], collaborators: 3, evidencePath: [z, h, x], provenance: { origin: 'impact/mongo' } }]);

    // The graph lives in Neo4j, namespaced to this run's impact subgraph and keyed by the tenant.
    const driver = neo4j.driver(process.env.NEO4J_URI ?? '', process.env.NEO4J_USER ? neo4j.auth.basic(process.env.NEO4J_USER, process.env.NEO4J_PASSWORD ?? '') : undefined, { disableLosslessIntegers: true });
    const session = driver.session();
    try {
      const result = await session.run('MATCH (n:MeshNode {ns: $ns, tenantId: $tenantId}) RETURN count(n) AS nodes', { ns: `${mesh.namespace}/impact`, tenantId: orgId });
      expect(Number(result.records[0].get('nodes'))).toBeGreaterThanOrEqual(4);
      const elsewhere = await session.run('MATCH (n:MeshNode {tenantId: $tenantId}) WHERE n.ns <> $ns RETURN count(n) AS nodes', { ns: `${mesh.namespace}/impact`, tenantId: orgId });
      expect(Number(elsewhere.records[0].get('nodes'))).toBe(0);
    } finally {
      await session.close();
      await driver.close();
    }

    // Another organization sees no champion.
    const other = dataOf(await gql<{ createOrganization: { id: string } }>(mesh.url, CREATE_ORG, { input: { name: 'Other Services Org' } }, admin)).createOrganization;
    dataOf(await gql(mesh.url, CREATE_USER, { input: { organizationId: other.id, email: 'owner@other-services.test', name: 'Other', roles: ['OWNER'], password: PASSWORD } }, admin));
    const otherToken = (await signIn(mesh.url, 'owner@other-services.test', PASSWORD)).accessToken;
    expect(dataOf(await gql<{ crossTeamChampions: unknown[] }>(mesh.url, `{ crossTeamChampions(skill: "Data Viz") { personId } }`, {}, otherToken)).crossTeamChampions).toEqual([]);
  });

  it('bad input still gets a clear error with code, correlation id and hint, and writes nothing', async () => {
    const bad = await gql(mesh.url, CREATE_ORG, { input: { name: 'X' } }, admin);
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });
    expect(bad.body.errors?.[0].extensions.correlationId).toMatch(/\S+/);
    expect(bad.body.errors?.[0].extensions.hint).toMatch(/\S+/);
    const dup = await gql(mesh.url, CREATE_USER, { input: { organizationId: orgId, email: 'OWNER@services.test', name: 'Again', roles: ['MEMBER'], password: PASSWORD } }, owner.token);
    expect(dup.body.errors?.[0].extensions.code).toBe('ALREADY_EXISTS');
    const users = dataOf(await gql<{ users: { totalCount: number } }>(mesh.url, `{ users { totalCount } }`, {}, owner.token)).users;
    expect(users.totalCount).toBe(1);
  });

  it('delivers Subscription.timeline over graphql-ws through the gateway, fed by Kafka, with fields of four subgraphs, to its tenant only', async () => {
    // The supergraph declares Subscription.timeline fed by prd_events (among others) through @live.
    const spec = liveSpecsOf(readFileSync(`${ROOT}/supergraph.graphql`, 'utf8')).get('timeline');
    expect(spec?.topics).toContain('prd_events');
    expect(spec?.refetch).toBe('timelineEvent');

    // A second organization subscribes too: it must get its own event and never the first one's.
    const beta = dataOf(await gql<{ createOrganization: { id: string } }>(mesh.url, CREATE_ORG, { input: { name: 'Live Beta Services' } }, admin)).createOrganization;
    dataOf(await gql(mesh.url, CREATE_USER, { input: { organizationId: beta.id, email: 'owner@live-beta.test', name: 'Beta Owner', roles: ['OWNER'], password: PASSWORD } }, admin));
    const betaToken = (await signIn(mesh.url, 'owner@live-beta.test', PASSWORD)).accessToken;

    // lifecycle's TimelineEvent (the read model lifecycle builds from Kafka), identity's organization
    // name, presales's subscription plan, runtime's stats, and implementation's Prd as the subject.
    const TIMELINE = `subscription($kinds: [String!]) { timeline(kinds: $kinds) {
      id kind topic clientId summary
      organization { id name subscription { plan } conversationStats { total } }
      subject { __typename ... on Prd { id title status } }
      provenance { subgraph method }
    } }`;
    type TimelineEvent = {
      id: string; kind: string; topic: string; clientId: string; summary: string;
      organization: { id: string; name: string; subscription: { plan: string } | null; conversationStats: { total: number } };
      subject: { __typename: string; id?: string; title?: string; status?: string } | null;
      provenance: { subgraph: string; method: string };
    };
    const ws = mesh.url.replace(/^http/, 'ws');
    const alphaLive = await record(ws, owner.token, TIMELINE, { kinds: ['prd.started'] });
    const betaLive = await record(ws, betaToken, TIMELINE, { kinds: ['prd.started'] });
    const received = (r: Recording): TimelineEvent[] => r.messages.map((m) => (m.data as { timeline: TimelineEvent }).timeline);
    try {
      // Both subscriptions are registered at the gateway before anything is triggered.
      await eventually('two active subscriptions at the gateway', async () => (/^mesh_subscription_active (\d+)$/m.exec(await (await fetch(`${mesh.base}/metrics`)).text())?.[1] === '2' ? true : null), 15_000);
      const startPrd = async (token: string, title: string): Promise<string> =>
        dataOf(await gql<{ startPrd: { id: string } }>(mesh.url, `mutation($i: StartPrdInput!) { startPrd(input: $i) { id } }`, { i: { title, productType: 'CHATBOT' } }, token)).startPrd.id;
      const alphaPrd = await startPrd(owner.token, 'Live PRD Alpha');
      const betaPrd = await startPrd(betaToken, 'Live PRD Beta');

      const [alphaEvent] = await eventually('the alpha timeline event over graphql-ws', async () => (alphaLive.messages.length ? received(alphaLive) : null));
      const [betaEvent] = await eventually('the beta timeline event over graphql-ws', async () => (betaLive.messages.length ? received(betaLive) : null));
      expect(alphaLive.messages[0].errors).toBeUndefined();
      expect(alphaEvent).toEqual({
        id: expect.any(String),
        kind: 'prd.started',
        topic: 'prd_events',
        clientId: orgId,
        summary: expect.stringContaining('Live PRD Alpha'),
        organization: { id: orgId, name: 'Services Org', subscription: { plan: 'FREE' }, conversationStats: { total: 0 } },
        subject: { __typename: 'Prd', id: alphaPrd, title: 'Live PRD Alpha', status: expect.any(String) },
        provenance: { subgraph: 'implementation', method: 'HUMAN' },
      });
      expect(betaLive.messages[0].errors).toBeUndefined();
      expect(betaEvent.clientId).toBe(beta.id);
      expect(betaEvent.organization.name).toBe('Live Beta Services');
      expect(betaEvent.subject).toMatchObject({ __typename: 'Prd', id: betaPrd, title: 'Live PRD Beta' });

      // Tenant isolation: a sentinel after both events reaches alpha; by then neither socket has seen the
      // other organization's event (per-tenant order on one gateway consumer).
      const sentinel = await startPrd(owner.token, 'Live PRD Alpha sentinel');
      await eventually('the alpha sentinel over graphql-ws', async () => (received(alphaLive).some((e) => e.subject?.id === sentinel) ? true : null));
      expect(received(alphaLive).map((e) => e.subject?.id)).toEqual([alphaPrd, sentinel]);
      expect(received(alphaLive).every((e) => e.clientId === orgId)).toBe(true);
      expect(received(betaLive).map((e) => e.subject?.id)).toEqual([betaPrd]);
      expect(alphaLive.failure).toBeNull();
      expect(betaLive.failure).toBeNull();

      // Fed by Kafka: the gateway consumes this run's topics in its own consumer group, and the event
      // is in lifecycle's read model, queried over HTTP.
      const kafka = new Admin({ clientId: `${mesh.namespace}-groups`, bootstrapBrokers: (process.env.KAFKA_BROKERS ?? '').split(',') });
      try {
        const groups = [...(await kafka.listGroups()).keys()];
        expect(groups.some((g) => g.startsWith(`${mesh.namespace}.gateway-`))).toBe(true);
        expect(groups).toContain(`${mesh.namespace}.lifecycle-timeline`);
      } finally {
        await kafka.close();
      }
      const stored = dataOf(await gql<{ timelineEvent: { id: string; kind: string } | null }>(mesh.url, `query($id: ID!) { timelineEvent(id: $id) { id kind } }`, { id: alphaEvent.id }, owner.token)).timelineEvent;
      expect(stored).toEqual({ id: alphaEvent.id, kind: 'prd.started' });
      const foreign = await gql<{ timelineEvent: unknown }>(mesh.url, `query($id: ID!) { timelineEvent(id: $id) { id } }`, { id: alphaEvent.id }, betaToken);
      expect(foreign.body.data?.timelineEvent ?? null).toBeNull();
    } finally {
      await alphaLive.dispose();
      await betaLive.dispose();
    }
  });

  it('an event published while its consumer is down is delivered when the consumer process comes back (Kafka offsets)', async () => {
    await mesh.stopSubgraph('presales');
    const later = dataOf(await gql<{ createOrganization: { id: string } }>(mesh.url, CREATE_ORG, { input: { name: 'While Presales Was Down' } }, admin)).createOrganization;
    dataOf(await gql(mesh.url, CREATE_USER, { input: { organizationId: later.id, email: 'owner@down.test', name: 'Down', roles: ['OWNER'], password: PASSWORD } }, admin));
    const token = (await signIn(mesh.url, 'owner@down.test', PASSWORD)).accessToken;
    // Meanwhile the gateway answers with what it has, and names the service it could not reach.
    const partial = await gql<{ organization: { name: string; subscription: unknown } }>(mesh.url, `{ organization { name subscription { plan } } }`, {}, token);
    expect(partial.status).toBe(200);
    expect(partial.body.data?.organization.name).toBe('While Presales Was Down');
    expect(partial.body.data?.organization.subscription).toBeNull();
    expect(partial.body.errors?.[0].extensions.code).toBe('SUBGRAPH_UNAVAILABLE');
    expect(partial.body.errors?.[0].message).toContain('presales');

    await mesh.startSubgraph('presales');
    const subscription = await eventually('presales to consume the org.created it missed', async () => {
      const result = await gql<{ organization: { subscription: { plan: string } | null } }>(mesh.url, `{ organization { subscription { plan } } }`, {}, token);
      return result.body.data?.organization.subscription ?? null;
    });
    expect(subscription).toEqual({ plan: 'FREE' });
  }, 90_000);

  it('a subgraph process restarts and serves the same data from MongoDB', async () => {
    await mesh.restartSubgraph('identity');
    await eventually('gateway health 200 after the restart', async () => ((await fetch(`${mesh.base}/health`)).status === 200 ? true : null), 60_000);
    const again = await signIn(mesh.url, 'owner@services.test', PASSWORD);
    const me = dataOf(await gql<{ me: { organization: { name: string } } }>(mesh.url, `{ me { organization { name } } }`, {}, again.accessToken)).me;
    expect(me.organization.name).toBe('Services Org');
  }, 90_000);
});

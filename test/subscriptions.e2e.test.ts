import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { record, waitUntil, type Recording } from '../gateway/subscriptions/client.ts';
import { createOrganization, createSignedInUser, dataOf, gql, signIn, startTestMesh, waitHealthy, type TestMesh } from './client.ts';

/**
 * The subscriptions issue's "done means", through the real gateway (all seven subgraphs, the
 * gateway's planner, graphql-ws on /graphql): a mutation in one subgraph becomes a timeline event on
 * a subscribed socket with fields of other subgraphs resolved; another tenant's subscriber gets
 * nothing; `after:` replays exactly the missed events; a client that never reads is cut off alone;
 * staff see only their role's view of an assigned organization.
 */
let t: TestMesh;
let admin: string;
let ws: string;
const open: Recording[] = [];

beforeAll(async () => {
  // Small slow-consumer bounds so a paused client is cut off after a bounded number of events.
  t = await startTestMesh({ MESH_SUBSCRIPTION_QUEUE_LIMIT: '64', MESH_SUBSCRIPTION_MAX_BUFFERED_BYTES: '16384', MESH_SUBSCRIPTION_CLOSE_GRACE_MS: '60000' });
  await waitHealthy(t.base);
  admin = (await signIn(t.url, t.adminEmail, t.adminPassword)).accessToken;
  ws = t.url.replace(/^http/, 'ws');
}, 60_000);

afterAll(async () => {
  for (const r of open) await r.dispose().catch(() => undefined);
  await t?.stop();
});

const subscribe = async (token: string, query: string, variables: Record<string, unknown> = {}): Promise<Recording> => {
  const r = await record(ws, token, query, variables);
  open.push(r);
  return r;
};

const newOrg = (name: string): Promise<string> => createOrganization(t.url, admin, name);

const newUser = (organizationId: string, email: string, roles: string[]): Promise<{ id: string; token: string }> => createSignedInUser(t.url, admin, { organizationId, email, roles });

const createProspect = async (token: string, companyName: string): Promise<string> =>
  dataOf(await gql<{ createProspect: { id: string } }>(t.url, `mutation($input: CreateProspectInput!) { createProspect(input: $input) { id } }`, { input: { companyName } }, token)).createProspect.id;

const openTicket = async (token: string, subject: string): Promise<string> =>
  dataOf(await gql<{ openTicket: { id: string } }>(t.url, `mutation($input: OpenTicketInput!) { openTicket(input: $input) { id } }`, { input: { channel: 'EMAIL', subject, body: `${subject}: the widget shows an error after login.` } }, token)).openTicket.id;

/** A Copilot's timeline selection: lifecycle's event plus identity, presales and runtime fields. */
const TIMELINE = `subscription Timeline($kinds: [String!], $after: ID, $clientId: ID) {
  timeline(kinds: $kinds, after: $after, clientId: $clientId) {
    id kind topic summary severity clientId occurredAt
    actor { id name email }
    organization { id name subscription { plan status } conversationStats { total active } }
    subject { __typename ... on Prospect { id companyName stage } ... on SupportTicket { id subject status } }
    provenance { subgraph method }
  }
}`;

interface TimelineMessage {
  id: string;
  kind: string;
  topic: string;
  summary: string;
  clientId: string;
  actor: { id: string; name: string; email: string } | null;
  organization: { id: string; name: string; subscription: { plan: string; status: string } | null; conversationStats: { total: number; active: number } | null };
  subject: { __typename: string; id?: string; companyName?: string; stage?: string; subject?: string; status?: string } | null;
  provenance: { subgraph: string; method: string };
}

const events = (r: Recording): TimelineMessage[] => r.messages.map((m) => (m.data as { timeline: TimelineMessage }).timeline);

/** Drains the bus: waits until the outbox relay and every consumer settled (bounded). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

describe('the Copilot timeline over graphql-ws through the gateway', () => {
  let orgA: string;
  let ownerA: { id: string; token: string };
  let orgB: string;
  let ownerB: { id: string; token: string };

  beforeAll(async () => {
    orgA = await newOrg('Timeline Alpha');
    ownerA = await newUser(orgA, 'owner@alpha.test', ['OWNER']);
    orgB = await newOrg('Timeline Beta');
    ownerB = await newUser(orgB, 'owner@beta.test', ['OWNER']);
    await settle();
  }, 30_000);

  it('delivers a presales mutation as a timeline event with identity, presales and runtime fields resolved', async () => {
    const sub = await subscribe(ownerA.token, TIMELINE, { kinds: ['prospect.created'] });
    const prospectId = await createProspect(ownerA.token, 'Globex Corporation');
    await waitUntil(() => sub.messages.length >= 1, 'timeline event');
    expect(sub.messages[0].errors).toBeUndefined();
    const [event] = events(sub);
    expect(event.kind).toBe('prospect.created');
    expect(event.topic).toBe('research_events');
    expect(event.clientId).toBe(orgA);
    expect(event.summary).toContain('Globex Corporation');
    // identity: the actor and the organization's name
    expect(event.actor).toEqual({ id: ownerA.id, name: 'User owner', email: 'owner@alpha.test' });
    expect(event.organization.id).toBe(orgA);
    expect(event.organization.name).toBe('Timeline Alpha');
    // presales: the subject itself, and the organization's billing subscription (FREE trial on creation)
    expect(event.subject).toEqual({ __typename: 'Prospect', id: prospectId, companyName: 'Globex Corporation', stage: 'NEW' });
    expect(event.organization.subscription).not.toBeNull();
    // runtime: conversation stats of the organization (none yet)
    expect(event.organization.conversationStats).toEqual({ total: 0, active: 0 });
    // The timeline carries the source event's provenance: the presales write that caused it.
    expect(event.provenance).toEqual({ subgraph: 'presales', method: 'HUMAN' });
    // The same event is in the queryable read model, newest first.
    const page = dataOf(await gql<{ timeline: { edges: Array<{ node: { id: string } }> } }>(t.url, `{ timeline(kinds: ["prospect.created"], first: 5) { edges { node { id } } } }`, {}, ownerA.token)).timeline;
    expect(page.edges[0].node.id).toBe(event.id);
  });

  it("never delivers one tenant's events to another tenant's subscriber on the same gateway", async () => {
    const beta = await subscribe(ownerB.token, TIMELINE);
    const betaAskingForAlpha = await subscribe(ownerB.token, TIMELINE, { clientId: orgA });
    const alpha = await subscribe(ownerA.token, TIMELINE, { kinds: ['prospect.created'] });
    await createProspect(ownerA.token, 'Initech');
    await createProspect(ownerA.token, 'Umbrella');
    await waitUntil(() => alpha.messages.length >= 2, 'alpha receives its own events');
    await settle();
    expect(beta.messages).toHaveLength(0);
    expect(betaAskingForAlpha.messages).toHaveLength(0);
    // Beta's socket is alive: its own event arrives, and only it.
    const ownId = await createProspect(ownerB.token, 'Beta Prospect');
    await waitUntil(() => beta.messages.length >= 1, 'beta receives its own event');
    await settle();
    expect(events(beta).map((e) => e.clientId)).toEqual([orgB]);
    expect(events(beta)[0].subject?.id).toBe(ownId);
    expect(betaAskingForAlpha.messages).toHaveLength(0);
    // Asking the query side for another organization is refused, not answered empty.
    const refused = await gql(t.url, `query($c: ID) { timeline(clientId: $c) { edges { node { id } } } }`, { c: orgA }, ownerB.token);
    expect(refused.body.errors?.[0].extensions.code).toBe('FORBIDDEN');
    expect(refused.status).toBe(403);
    expect(refused.body.errors?.[0].extensions.correlationId).toEqual(refused.headers.get('x-correlation-id'));
    expect(refused.body.errors?.[0].extensions.hint).toMatch(/actAsOrganization/);
  });

  it('replays exactly the missed events after a reconnect with after:', async () => {
    const first = await subscribe(ownerA.token, TIMELINE, { kinds: ['prospect.created'] });
    await createProspect(ownerA.token, 'Before Disconnect');
    await waitUntil(() => first.messages.length === 1, 'first event');
    const lastSeen = events(first)[0].id;
    await first.dispose();
    const missed = [await createProspect(ownerA.token, 'Missed One'), await createProspect(ownerA.token, 'Missed Two'), await createProspect(ownerA.token, 'Missed Three')];
    await settle();
    const resumed = await subscribe(ownerA.token, TIMELINE, { kinds: ['prospect.created'], after: lastSeen });
    await waitUntil(() => resumed.messages.length >= 3, 'replayed events');
    expect(events(resumed).map((e) => e.subject?.id)).toEqual(missed);
    // ... then live, with no duplicate of the replayed ones.
    const live = await createProspect(ownerA.token, 'After Resume');
    await waitUntil(() => resumed.messages.length >= 4, 'live after replay');
    await settle();
    expect(events(resumed).map((e) => e.subject?.id)).toEqual([...missed, live]);
    // An unknown or malformed resume point is a clear error, not silence.
    const bad = await subscribe(ownerA.token, TIMELINE, { after: 'not-an-event-id' });
    await waitUntil(() => bad.failure !== null, 'bad after rejected');
    expect(JSON.stringify(bad.failure)).toContain('BAD_USER_INPUT');
  });

  it('cuts off a client that never reads, without hurting the other subscribers', async () => {
    const normal = await subscribe(ownerA.token, TIMELINE, { kinds: ['prospect.created'] });
    const raw = new WebSocket(ws, 'graphql-transport-ws');
    let closed: { code: number; reason: string } | null = null;
    let acked = false;
    raw.on('close', (code, reason) => {
      closed = { code, reason: reason.toString() };
    });
    raw.on('message', (data) => {
      if ((JSON.parse(String(data)) as { type: string }).type === 'connection_ack') acked = true;
    });
    await new Promise((resolve) => raw.once('open', resolve));
    raw.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${ownerA.token}` } }));
    await waitUntil(() => acked, 'raw ack');
    // A heavy selection (the signed provenance of three subgraphs, many times over): each message is
    // tens of kilobytes, so the kernel's socket buffers fill after a bounded number of events.
    const heavy = Array.from({ length: 12 }, (_, i) => `p${i}: provenance { signature inputsDigest explanation } o${i}: organization { provenance { signature inputsDigest explanation } subscription { provenance { signature inputsDigest explanation } } }`).join(' ');
    raw.send(JSON.stringify({ id: 'slow', type: 'subscribe', payload: { query: `subscription { timeline(kinds: ["prospect.created"]) { id ${heavy} } }` } }));
    await settle();
    // Stop reading: the gateway's writes pile up in the kernel, then in its own send buffer.
    (raw as unknown as { _socket: Socket })._socket.pause();
    const sent: string[] = [];
    const cutOff = async (): Promise<boolean> => /^mesh_subscription_slow_consumer_closes_total [1-9]/m.test(await (await fetch(`${t.base}/metrics`)).text());
    // Bounded: at most 600 mutations; stops as soon as the gateway reports the slow client cut off.
    for (let i = 0; i < 600; i += 1) {
      sent.push(await createProspect(ownerA.token, `Flood ${String(i).padStart(3, '0')}`));
      if (await cutOff()) break;
    }
    // Under load the events can trail the acknowledged writes: wait (bounded) for them to arrive.
    for (let until = Date.now() + 30_000; !(await cutOff()) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 100));
    expect(await cutOff()).toBe(true);
    // Read again at once (ws destroys a socket whose closing handshake has not finished in 30 s):
    // after the data already sent, the close frame says why.
    (raw as unknown as { _socket: Socket })._socket.resume();
    await waitUntil(() => closed !== null, 'slow client closed', 30_000);
    expect(closed).toEqual({ code: 4429, reason: 'Slow consumer: buffer limit exceeded' });
    // The subscriber that reads got every event, in order, and was never closed.
    await waitUntil(() => normal.messages.length === sent.length, 'normal subscriber got everything', 30_000);
    expect(events(normal).map((e) => e.subject?.id)).toEqual(sent);
    expect(normal.closed).toBeNull();
    // The gateway still serves everyone else.
    const after = await createProspect(ownerA.token, 'After The Flood');
    await waitUntil(() => normal.messages.length === sent.length + 1, 'still delivering');
    expect(events(normal).at(-1)?.subject?.id).toBe(after);
  }, 120_000);

  it("gives assigned staff their role's view of the client's timeline, and nothing of other clients", async () => {
    const staff = await newUser('platform', 'support@platform.test', ['SUPPORT_SPECIALIST']);
    dataOf(await gql(t.url, `mutation($input: AssignStaffInput!) { assignStaff(input: $input) { id } }`, { input: { organizationId: orgA, staffUserId: staff.id, role: 'SUPPORT_SPECIALIST' } }, admin));
    const acting = dataOf(await gql<{ actAsOrganization: { accessToken: string } }>(t.url, `mutation($o: ID!) { actAsOrganization(organizationId: $o) { accessToken } }`, { o: orgA }, staff.token)).actAsOrganization.accessToken;
    const notAssigned = await gql(t.url, `mutation($o: ID!) { actAsOrganization(organizationId: $o) { accessToken } }`, { o: orgB }, staff.token);
    // Not assigned: the same answer as for an organization that does not exist (no existence leak).
    expect(notAssigned.body.errors?.[0].extensions.code).toBe('NOT_FOUND');
    const support = await subscribe(acting, TIMELINE);
    const owner = await subscribe(ownerA.token, TIMELINE, { kinds: ['prospect.created', 'support.ticket.opened'] });
    await createProspect(ownerA.token, 'Sales Only Prospect');
    const ticketId = await openTicket(ownerA.token, 'Cannot sign in');
    await waitUntil(() => owner.messages.length >= 2, 'owner sees both');
    await waitUntil(() => events(support).some((e) => e.kind === 'support.ticket.opened'), 'support sees the ticket');
    await settle();
    // The support view holds support families only: never the sales (research) event.
    expect(events(support).every((e) => ['support_events', 'escalation_events', 'conversation_events'].includes(e.topic))).toBe(true);
    const opened = events(support).find((e) => e.kind === 'support.ticket.opened');
    expect(opened?.subject).toEqual({ __typename: 'SupportTicket', id: ticketId, subject: 'Cannot sign in', status: expect.any(String) });
    expect(opened?.clientId).toBe(orgA);
  });
});

describe('the Subscription fields in the composed schema', () => {
  it('are visible to Sandbox through introspection, owned by lifecycle, impact and governance', async () => {
    const data = dataOf(await gql<{ __schema: { subscriptionType: { fields: Array<{ name: string; args: Array<{ name: string }> }> } } }>(t.url, `{ __schema { subscriptionType { fields { name args { name } } } } }`, {}, admin));
    const fields = Object.fromEntries(data.__schema.subscriptionType.fields.map((f) => [f.name, f.args.map((a) => a.name).sort()]));
    expect(fields).toEqual({
      timeline: ['after', 'clientId', 'kinds'],
      safetyAlerts: ['after', 'severities', 'teamId'],
      observerInterventions: ['actions', 'after', 'sessionId'],
    });
  });

  it('answers a subscription sent over HTTP with a clear error pointing at graphql-ws', async () => {
    const result = await gql(t.url, `subscription { timeline { id } }`, {}, admin);
    expect(result.status).toBe(400);
    expect(result.body.errors?.[0].extensions.code).toBe('BAD_REQUEST');
    expect(result.body.errors?.[0].extensions.correlationId).toEqual(result.headers.get('x-correlation-id'));
    expect(result.body.errors?.[0].extensions.hint).toMatch(/graphql-ws|WebSocket/i);
  });
});

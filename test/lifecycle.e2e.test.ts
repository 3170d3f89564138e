import { createServer, type IncomingMessage, type Server } from 'node:http';
import { record, waitUntil, type Recording } from '../gateway/subscriptions/client.ts';
import { backoffDelayMs } from '../subgraphs/lifecycle/domain/crm.ts';
import { seededRandom } from '../subgraphs/lifecycle/domain/bandit.ts';
import { createOrganization, createSignedInUser, dataOf, gql, signIn, startTestMesh, waitHealthy, type TestMesh } from './client.ts';

/**
 * Issue 8's "done means", end to end through the real gateway (all seven subgraphs, HTTP and
 * graphql-ws): a client going green → red raises an alert and a Copilot task that a timeline
 * subscriber receives; a ticket with a known answer resolves itself and one without escalates; a
 * three-variant bandit shifts traffic to the best variant; a failing CRM endpoint dead-letters after
 * five tries (see the CRM block below).
 */
let t: TestMesh;
let admin: string;
let ws: string;
const open: Recording[] = [];

beforeAll(async () => {
  t = await startTestMesh();
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

const newOwner = (organizationId: string, email: string): Promise<{ id: string; token: string }> => createSignedInUser(t.url, admin, { organizationId, email, roles: ['OWNER'], name: 'Owner' });

/** Reads until `done` holds (bounded), for effects that travel over the bus. */
const eventually = async <T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> => {
  let last = await read();
  const until = Date.now() + 15_000;
  while (!done(last)) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
    last = await read();
  }
  return last;
};

const daysAgo = (n: number): string => new Date(Date.now() - n * 86_400_000).toISOString();

describe('customer health: green to red, alert, Copilot task, live timeline', () => {
  let org: string;
  let owner: { id: string; token: string };
  beforeAll(async () => {
    org = await newOrg('Health Corp');
    owner = await newOwner(org, 'owner@health.test');
  }, 30_000);

  const RECORD = `mutation($input: HealthSignalsInput!) {
    recordHealthSignals(input: $input) {
      score { id day score band }
      alerts { id kind score band dropPoints task { id kind audience priority status recommendedActions } }
      transition { from to automatic }
    }
  }`;
  interface RecordResult {
    recordHealthSignals: {
      score: { id: string; day: string; score: number; band: string };
      alerts: Array<{ id: string; kind: string; score: number; band: string; dropPoints: number | null; task: { id: string; kind: string; audience: string; priority: string; status: string; recommendedActions: string[] } }>;
      transition: { from: string | null; to: string; automatic: boolean } | null;
    };
  }
  const signals = (input: Record<string, unknown>) => gql<RecordResult>(t.url, RECORD, { input }, owner.token);

  const TIMELINE = `subscription($kinds: [String!]) {
    timeline(kinds: $kinds) {
      id kind topic summary severity clientId
      actor { id email }
      organization { id name subscription { plan } }
      subject {
        __typename
        ... on HealthAlert { id alertKind: kind score band task { id kind audience status } }
        ... on CopilotTask { id kind audience priority title subjectTypename subjectId }
      }
    }
  }`;
  interface TimelineMessage {
    id: string;
    kind: string;
    topic: string;
    summary: string;
    severity: string;
    clientId: string;
    actor: { id: string; email: string } | null;
    organization: { id: string; name: string; subscription: { plan: string } | null };
    subject: { __typename: string; id: string; kind?: string; alertKind?: string; score?: number; band?: string; task?: { id: string }; audience?: string; subjectTypename?: string; subjectId?: string } | null;
  }

  it('scores a worsening client green then red, raises a SCORE_DROP alert with a playbook task, and streams both to a timeline subscriber', async () => {
    const sub = await subscribe(owner.token, TIMELINE, { kinds: ['health.alert.raised', 'copilot.task.created'] });
    dataOf(await gql(t.url, `mutation { setLifecycleStage(input: { stage: ACTIVE, reason: "Contract signed" }) { to } }`, {}, owner.token));

    const green = dataOf(await signals({ usageFrequency: 7, errorRate: 0, csat: 4.8, openTickets: 0, engagement: 0.9, observedAt: daysAgo(4) })).recordHealthSignals;
    expect(green.score.band).toBe('GREEN');
    expect(green.score.score).toBeGreaterThan(80);
    expect(green.alerts).toEqual([]);

    // Slipping, still green and within 10 points: no alert yet.
    const slipping = dataOf(await signals({ usageFrequency: 6.5, errorRate: 0.01, csat: 4.5, openTickets: 1, engagement: 0.85, observedAt: daysAgo(2) })).recordHealthSignals;
    expect(slipping.score.band).toBe('GREEN');
    expect(slipping.score.score).toBeLessThan(green.score.score);
    expect(slipping.alerts).toEqual([]);

    const red = dataOf(await signals({ usageFrequency: 1, errorRate: 0.3, csat: 1.8, openTickets: 14, engagement: 0.1 })).recordHealthSignals;
    expect(red.score.band).toBe('RED');
    expect(red.score.score).toBeLessThan(60);
    const drop = red.alerts.find((a) => a.kind === 'SCORE_DROP');
    expect(drop).toBeDefined();
    expect(drop?.dropPoints).toBe(green.score.score - red.score.score);
    expect(drop?.task).toMatchObject({ kind: 'HEALTH_PLAYBOOK', audience: 'SUCCESS', priority: 'HIGH', status: 'OPEN' });
    expect(drop?.task.recommendedActions.join(' ')).toMatch(/call/i);
    // The band rule moves the organization to AT_RISK.
    expect(red.transition).toMatchObject({ to: 'AT_RISK', automatic: true });

    // The subscriber receives the alert and the task, each with fields of other subgraphs resolved.
    await waitUntil(() => sub.messages.length >= 2, 'alert and task on the timeline');
    for (const m of sub.messages) expect(m.errors).toBeUndefined();
    const received = sub.messages.map((m) => (m.data as { timeline: TimelineMessage }).timeline);
    const alertEvent = received.find((e) => e.kind === 'health.alert.raised');
    const taskEvent = received.find((e) => e.kind === 'copilot.task.created');
    expect(alertEvent?.subject).toMatchObject({ __typename: 'HealthAlert', id: drop?.id, alertKind: 'SCORE_DROP', band: 'RED', task: { id: drop?.task.id, kind: 'HEALTH_PLAYBOOK', audience: 'SUCCESS', status: 'OPEN' } });
    expect(alertEvent?.severity).toBe('CRITICAL');
    expect(alertEvent?.topic).toBe('customer_success_events');
    expect(taskEvent?.subject).toMatchObject({ __typename: 'CopilotTask', id: drop?.task.id, kind: 'HEALTH_PLAYBOOK', subjectTypename: 'HealthAlert', subjectId: drop?.id });
    for (const event of [alertEvent, taskEvent]) {
      expect(event?.clientId).toBe(org);
      // identity resolves the organization and the actor; presales its billing subscription.
      expect(event?.organization).toMatchObject({ id: org, name: 'Health Corp' });
      expect(event?.organization.subscription).not.toBeNull();
      expect(event?.actor).toEqual({ id: owner.id, email: 'owner@health.test' });
    }

    // The task is on the Copilot work list and the alert in the alert list.
    const lists = dataOf(
      await gql<{ copilotWorkList: Array<{ id: string }>; healthAlerts: { edges: Array<{ node: { id: string } }> }; organization: { health: { band: string }; lifecycle: { stage: string } } }>(
        t.url,
        `{ copilotWorkList(first: 10) { id } healthAlerts(first: 10) { edges { node { id } } } organization { health { band } lifecycle { stage } } }`,
        {},
        owner.token,
      ),
    );
    expect(lists.copilotWorkList.map((task) => task.id)).toContain(drop?.task.id);
    expect(lists.healthAlerts.edges.map((e) => e.node.id)).toContain(drop?.id);
    expect(lists.organization).toEqual({ health: { band: 'RED' }, lifecycle: { stage: 'AT_RISK' } });
  });

  it('refuses impossible signals with a coded, hinted error and writes nothing', async () => {
    const before = dataOf(await gql<{ healthAlerts: { edges: unknown[] } }>(t.url, `{ healthAlerts(first: 50) { edges { node { id } } } }`, {}, owner.token)).healthAlerts.edges.length;
    const bad = await signals({ usageFrequency: 9, errorRate: 0, csat: 5, openTickets: 0, engagement: 1 });
    expect(bad.status).toBe(400);
    const error = bad.body.errors?.[0];
    expect(error?.extensions.code).toBe('BAD_USER_INPUT');
    expect(error?.extensions.correlationId).toBeTruthy();
    expect(error?.extensions.hint).toBeTruthy();
    const after = dataOf(await gql<{ healthAlerts: { edges: unknown[] } }>(t.url, `{ healthAlerts(first: 50) { edges { node { id } } } }`, {}, owner.token)).healthAlerts.edges.length;
    expect(after).toBe(before);
  });
});

describe('support engine: known answers resolve themselves, the rest escalate', () => {
  let owner: { id: string; token: string };
  beforeAll(async () => {
    owner = await newOwner(await newOrg('Support Corp'), 'owner@support.test');
  }, 30_000);

  const OPEN = `mutation($input: OpenTicketInput!) {
    openTicket(input: $input) {
      id status autoResolved escalated confidence attemptedResolution resolution escalationReason
      matchedTicket { id }
      escalationTask { id kind audience status context }
      provenance { method confidence }
    }
  }`;
  interface Ticket {
    id: string;
    status: string;
    autoResolved: boolean;
    escalated: boolean;
    confidence: number;
    attemptedResolution: string | null;
    resolution: string | null;
    escalationReason: string | null;
    matchedTicket: { id: string } | null;
    escalationTask: { id: string; kind: string; audience: string; status: string; context: string } | null;
    provenance: { method: string; confidence: number };
  }
  const openTicket = async (subject: string, body: string): Promise<Ticket> => dataOf(await gql<{ openTicket: Ticket }>(t.url, OPEN, { input: { channel: 'EMAIL', subject, body } }, owner.token)).openTicket;

  const KNOWN_SUBJECT = 'Password reset email never arrives';
  const KNOWN_BODY = 'Our agents request a password reset link but the reset email never arrives in their inbox.';
  const FIX = 'The reset emails were filtered as spam: allowlist noreply@mesh.example in the mail gateway, then request the link again.';

  it('resolves a ticket whose answer is known and escalates one without, with the escalation task', async () => {
    // Teach the knowledge base: the first occurrence escalates and a specialist documents the fix.
    const first = await openTicket(KNOWN_SUBJECT, KNOWN_BODY);
    expect(first.status).toBe('ESCALATED');
    const resolved = dataOf(await gql<{ resolveTicket: { status: string; resolution: string; escalationTask: { status: string } } }>(
      t.url,
      `mutation($id: ID!, $r: String!) { resolveTicket(id: $id, resolution: $r) { status resolution escalationTask { status } } }`,
      { id: first.id, r: FIX },
      owner.token,
    )).resolveTicket;
    expect(resolved).toEqual({ status: 'RESOLVED', resolution: FIX, escalationTask: { status: 'DONE' } });

    // The same problem again resolves itself with the documented fix.
    const known = await openTicket(KNOWN_SUBJECT, KNOWN_BODY);
    expect(known.status).toBe('RESOLVED');
    expect(known.autoResolved).toBe(true);
    expect(known.escalated).toBe(false);
    expect(known.confidence).toBeGreaterThanOrEqual(0.85);
    expect(known.matchedTicket).toEqual({ id: first.id });
    expect(known.attemptedResolution).toBe(FIX);
    expect(known.resolution).toBe(FIX);
    expect(known.escalationTask).toBeNull();
    expect(known.provenance.confidence).toBe(known.confidence);

    // A problem nobody has solved before escalates to a Support Specialist with full context.
    const unknown = await openTicket('Invoice shows the wrong VAT number', 'The November invoice lists VAT number DE000000000 which is not ours; accounting needs a corrected invoice.');
    expect(unknown.status).toBe('ESCALATED');
    expect(unknown.escalated).toBe(true);
    expect(unknown.confidence).toBeLessThan(0.85);
    expect(unknown.escalationReason).toMatch(/below 0\.85/);
    expect(unknown.escalationTask).toMatchObject({ kind: 'RESPOND_TO_ESCALATION', audience: 'SUPPORT', status: 'OPEN' });
    expect(unknown.escalationTask?.context).toContain('EMAIL ticket');

    const stats = dataOf(await gql<{ supportStats: { total: number; autoResolved: number; escalated: number; autonomousResolutionRate: number; escalationRate: number } }>(
      t.url,
      `{ supportStats { total autoResolved escalated autonomousResolutionRate escalationRate } }`,
      {},
      owner.token,
    )).supportStats;
    expect(stats).toMatchObject({ total: 3, autoResolved: 1, escalated: 2 });
    expect(stats.autonomousResolutionRate).toBeCloseTo(1 / 3, 3);
    expect(stats.escalationRate).toBeCloseTo(2 / 3, 3);
  });
});

describe('communication: a three-variant bandit shifts traffic toward the best variant', () => {
  let owner: { id: string; token: string };
  beforeAll(async () => {
    owner = await newOwner(await newOrg('Bandit Corp'), 'owner@bandit.test');
  }, 30_000);

  /** True conversion rates of the simulated audience; C is best by far. */
  const RATES: Record<string, number> = { A: 0.05, B: 0.12, C: 0.35 };
  const ROUNDS = 8;
  const PER_ROUND = 30;

  it('moves most traffic to the best variant and reports it as most probably best', async () => {
    const experiment = dataOf(await gql<{ createExperiment: { id: string; seed: number } }>(
      t.url,
      `mutation($input: CreateExperimentInput!) { createExperiment(input: $input) { id seed } }`,
      { input: { name: 'Trial day 7 email', seed: 42, minShare: 0.05, variants: [{ key: 'A', content: 'Need help?' }, { key: 'B', content: 'Your trial, half way' }, { key: 'C', content: 'Book a 15-minute setup call' }] } },
      owner.token,
    )).createExperiment;
    expect(experiment.seed).toBe(42);

    // Simulated outcomes are seeded, so the whole run is deterministic.
    const outcome = seededRandom(7);
    const shares: Array<Record<string, number>> = [];
    const firstAssigned: string[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const recipients = Array.from({ length: PER_ROUND }, (_, i) => `r-${round}-${i}`);
      // One request per round: aliased mutations run in order.
      const assign = `mutation($e: ID!) { ${recipients.map((r, i) => `a${i}: assignVariant(experimentId: $e, recipientId: "${r}") { variantKey }`).join(' ')} }`;
      const assigned = dataOf(await gql<Record<string, { variantKey: string }>>(t.url, assign, { e: experiment.id }, owner.token));
      const keys = recipients.map((_, i) => assigned[`a${i}`].variantKey);
      if (round === 0) firstAssigned.push(...keys);
      shares.push(Object.fromEntries(Object.keys(RATES).map((k) => [k, keys.filter((v) => v === k).length / PER_ROUND])));
      const outcomes = `mutation($e: ID!) { ${recipients.map((r, i) => `o${i}: recordExperimentOutcome(experimentId: $e, recipientId: "${r}", converted: ${outcome() < RATES[keys[i]]}) { converted }`).join(' ')} }`;
      dataOf(await gql(t.url, outcomes, { e: experiment.id }, owner.token));
    }

    // Sticky: asking again for a recipient gives the same variant.
    const again = dataOf(await gql<{ assignVariant: { variantKey: string } }>(t.url, `mutation($e: ID!) { assignVariant(experimentId: $e, recipientId: "r-0-0") { variantKey } }`, { e: experiment.id }, owner.token)).assignVariant;
    expect(again.variantKey).toBe(firstAssigned[0]);

    // The shift: C's share grows from about a third (no data) to most of the traffic.
    expect(shares[0].C).toBeLessThan(0.5);
    const late = (shares[ROUNDS - 2].C + shares[ROUNDS - 1].C) / 2;
    expect(late).toBeGreaterThan(0.6);
    expect(late).toBeGreaterThan(shares[0].C + 0.25);
    // Every variant keeps at least some traffic over the run (minimum share, exploration).
    const totals = dataOf(await gql<{ experiment: { variants: Array<{ key: string; assigned: number; outcomes: number; conversions: number; posteriorMean: number; probabilityBest: number }> } }>(
      t.url,
      `query($e: ID!) { experiment(id: $e) { variants { key assigned outcomes conversions posteriorMean probabilityBest } } }`,
      { e: experiment.id },
      owner.token,
    )).experiment.variants;
    const byKey = Object.fromEntries(totals.map((v) => [v.key, v]));
    expect(totals.reduce((sum, v) => sum + v.assigned, 0)).toBe(ROUNDS * PER_ROUND);
    expect(byKey.C.assigned).toBeGreaterThan(byKey.A.assigned + byKey.B.assigned);
    expect(byKey.A.assigned).toBeGreaterThan(0);
    expect(byKey.B.assigned).toBeGreaterThan(0);
    expect(byKey.C.posteriorMean).toBeGreaterThan(byKey.B.posteriorMean);
    expect(byKey.C.probabilityBest).toBeGreaterThan(0.95);
  }, 60_000);
});

/** A stand-in CRM on loopback that the test controls: it records every request and answers by mode. */
interface FakeCrm {
  url: string;
  mode: 'down' | 'up' | 'strict';
  requests: Array<{ headers: IncomingMessage['headers']; body: { operation: string; recordKey: string; idempotencyKey: string; fields: Record<string, unknown>; precondition: { name: string; value: string } | null; force: boolean } }>;
  stop(): Promise<void>;
}

const startFakeCrm = async (): Promise<FakeCrm> => {
  const crm: FakeCrm = { url: '', mode: 'down', requests: [], stop: async () => undefined };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    req.on('end', () => {
      const body = JSON.parse(raw) as FakeCrm['requests'][number]['body'];
      crm.requests.push({ headers: req.headers, body });
      if (crm.mode === 'down') return void res.writeHead(503, { 'content-type': 'text/plain' }).end('CRM maintenance');
      // strict: the CRM's record is at stage "Qualified" whatever we think; a precondition on another stage conflicts.
      if (crm.mode === 'strict' && body.precondition && !body.force && body.precondition.value !== 'Qualified') {
        return void res.writeHead(409, { 'content-type': 'application/json' }).end(JSON.stringify({ StageName: 'Qualified' }));
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `crm-${body.recordKey}` }));
    });
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  crm.url = `http://127.0.0.1:${port}/mesh-sync`;
  crm.stop = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return crm;
};

describe('CRM sync: retries with backoff, dead-letter queue, replay, manual review', () => {
  let owner: { id: string; token: string };
  let crm: FakeCrm;
  const BASE_MS = 20;
  beforeAll(async () => {
    owner = await newOwner(await newOrg('Crm Corp'), 'owner@crm.test');
    crm = await startFakeCrm();
  }, 30_000);
  afterAll(async () => {
    await crm?.stop();
  });

  const DELIVERY = `id status attempts maxAttempts operation recordKey nextAttemptAt lastError deadLetteredAt deliveredAt replays
    attemptLog { at outcome httpStatus detail }
    mappedFields { name value }
    prospect { id companyName stage }`;
  interface Delivery {
    id: string;
    status: string;
    attempts: number;
    maxAttempts: number;
    operation: string;
    recordKey: string;
    nextAttemptAt: string | null;
    lastError: string | null;
    deadLetteredAt: string | null;
    deliveredAt: string | null;
    replays: number;
    attemptLog: Array<{ at: string; outcome: string; httpStatus: number | null; detail: string }>;
    mappedFields: Array<{ name: string; value: string | null }>;
    prospect: { id: string; companyName: string; stage: string } | null;
  }
  const deliveries = async (status: string): Promise<Delivery[]> =>
    dataOf(await gql<{ crmDeliveries: { edges: Array<{ node: Delivery }> } }>(t.url, `query($s: CrmDeliveryStatus) { crmDeliveries(status: $s, first: 50) { edges { node { ${DELIVERY} } } } }`, { s: status }, owner.token)).crmDeliveries.edges.map((e) => e.node);

  it('refuses a bad endpoint with a coded, hinted error and stores nothing', async () => {
    const bad = await gql(t.url, `mutation($input: CrmSettingsInput!) { setCrmSettings(input: $input) { enabled } }`, { input: { enabled: true, endpointUrl: 'ftp://crm.example.com/in' } }, owner.token);
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.endpointUrl' });
    expect(bad.body.errors?.[0].extensions.hint).toMatch(/https/);
    expect(bad.body.errors?.[0].extensions.correlationId).toBeTruthy();
    const creds = await gql(t.url, `mutation($input: CrmSettingsInput!) { setCrmSettings(input: $input) { enabled } }`, { input: { enabled: true, endpointUrl: 'https://user:secret@crm.example.com/in' } }, owner.token);
    expect(creds.body.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
    const stored = dataOf(await gql<{ crmSettings: unknown }>(t.url, `{ crmSettings { endpointUrl } }`, {}, owner.token)).crmSettings;
    expect(stored).toBeNull();
  });

  it('dead-letters a delivery to a failing CRM endpoint after exactly 5 tries, then replays it once the CRM is back', async () => {
    const settings = dataOf(await gql<{ setCrmSettings: { enabled: boolean; maxAttempts: number; retryScheduleMs: number[]; fieldMapping: Array<{ source: string; target: string }> } }>(
      t.url,
      `mutation($input: CrmSettingsInput!) { setCrmSettings(input: $input) { enabled maxAttempts retryScheduleMs fieldMapping { source target } } }`,
      {
        input: {
          enabled: true,
          endpointUrl: crm.url,
          backoffBaseMs: BASE_MS,
          fieldMapping: [{ source: 'name', target: 'AccountName' }, { source: 'stage', target: 'StageName' }, { source: 'opportunityId', target: 'External_Id__c' }],
          stageMapping: [{ stage: 'NEW', value: 'Prospecting' }, { stage: 'LOST', value: 'Closed Lost' }],
        },
      },
      owner.token,
    )).setCrmSettings;
    expect(settings).toMatchObject({ enabled: true, maxAttempts: 5, retryScheduleMs: [20, 40, 80, 160] });

    const sub = await subscribe(owner.token, `subscription { timeline(kinds: ["crm.sync.dead_lettered"]) { kind severity subject { __typename ... on CrmDelivery { id status attempts prospect { companyName } } } } }`);
    crm.mode = 'down';
    const prospectId = dataOf(await gql<{ createProspect: { id: string } }>(t.url, `mutation { createProspect(input: { companyName: "Dead Letter Inc" }) { id } }`, {}, owner.token)).createProspect.id;

    const [dead] = await eventually(() => deliveries('DEAD_LETTER'), (list) => list.length === 1, 'the dead letter');
    expect(dead).toMatchObject({ status: 'DEAD_LETTER', attempts: 5, maxAttempts: 5, operation: 'UPSERT_OPPORTUNITY', recordKey: prospectId, nextAttemptAt: null, replays: 0 });
    expect(dead.attemptLog.map((a) => [a.outcome, a.httpStatus])).toEqual(Array.from({ length: 5 }, () => ['RETRYABLE', 503]));
    expect(dead.lastError).toContain('503');
    // Exponential backoff: each wait at least base × 2^(n−1) (the scheduler never tries early).
    for (let i = 1; i < 5; i += 1) expect(Date.parse(dead.attemptLog[i].at) - Date.parse(dead.attemptLog[i - 1].at)).toBeGreaterThanOrEqual(backoffDelayMs(i, BASE_MS));
    // The CRM saw exactly five requests, all with the delivery's idempotency key and the mapped fields.
    const tries = crm.requests.filter((r) => r.body.recordKey === prospectId);
    expect(tries).toHaveLength(5);
    expect(new Set(tries.map((r) => r.headers['idempotency-key']))).toEqual(new Set([dead.id]));
    expect(tries[0].body).toMatchObject({ operation: 'UPSERT_OPPORTUNITY', recordKey: prospectId, fields: { External_Id__c: prospectId, AccountName: 'Dead Letter Inc', StageName: 'Prospecting', previousStage: null }, precondition: null, force: false });
    // The same delivery is in the dead-letter queue, with presales' view of the prospect.
    const queue = dataOf(await gql<{ crmDeadLetters: { totalCount: number; edges: Array<{ node: { id: string } }> }; crmSyncStats: { deadLettered: number; pending: number } }>(
      t.url,
      `{ crmDeadLetters { totalCount edges { node { id } } } crmSyncStats { deadLettered pending } }`,
      {},
      owner.token,
    ));
    expect(queue.crmDeadLetters.totalCount).toBe(1);
    expect(queue.crmDeadLetters.edges[0].node.id).toBe(dead.id);
    expect(queue.crmSyncStats).toMatchObject({ deadLettered: 1, pending: 0 });
    expect(dead.prospect).toEqual({ id: prospectId, companyName: 'Dead Letter Inc', stage: 'NEW' });

    // The timeline subscriber hears about it, with the delivery resolved.
    await waitUntil(() => sub.messages.length >= 1, 'dead letter on the timeline');
    expect(sub.messages[0].data).toEqual({ timeline: { kind: 'crm.sync.dead_lettered', severity: 'CRITICAL', subject: { __typename: 'CrmDelivery', id: dead.id, status: 'DEAD_LETTER', attempts: 5, prospect: { companyName: 'Dead Letter Inc' } } } });

    // No further tries after dead-lettering.
    await new Promise((r) => setTimeout(r, 300));
    expect(crm.requests.filter((r) => r.body.recordKey === prospectId)).toHaveLength(5);

    // Replaying something that is not dead-lettered is refused.
    const wrong = await gql(t.url, `mutation($id: ID!) { replayCrmDelivery(id: $id) { id } }`, { id: 'no-such-delivery' }, owner.token);
    expect(wrong.body.errors?.[0].extensions.code).toBe('NOT_FOUND');

    // The CRM is back: a replay delivers with the same idempotency key.
    crm.mode = 'up';
    const replayed = dataOf(await gql<{ replayCrmDelivery: { status: string; attempts: number; replays: number } }>(t.url, `mutation($id: ID!) { replayCrmDelivery(id: $id) { status attempts replays } }`, { id: dead.id }, owner.token)).replayCrmDelivery;
    expect(replayed).toEqual({ status: 'PENDING', attempts: 0, replays: 1 });
    const [delivered] = await eventually(() => deliveries('DELIVERED'), (list) => list.some((d) => d.id === dead.id), 'the replayed delivery');
    expect(delivered).toMatchObject({ id: dead.id, status: 'DELIVERED', attempts: 1, replays: 1, lastError: null });
    expect(delivered.attemptLog.map((a) => a.outcome)).toEqual(['RETRYABLE', 'RETRYABLE', 'RETRYABLE', 'RETRYABLE', 'RETRYABLE', 'DELIVERED']);
    const after = crm.requests.filter((r) => r.body.recordKey === prospectId);
    expect(after).toHaveLength(6);
    expect(after[5].headers['idempotency-key']).toBe(dead.id);
  }, 60_000);

  it('sends a stage change the CRM disagrees with to manual review, and pushes it after a person decides', async () => {
    crm.mode = 'strict';
    const prospectId = dataOf(await gql<{ createProspect: { id: string } }>(t.url, `mutation { createProspect(input: { companyName: "Conflict Ltd" }) { id } }`, {}, owner.token)).createProspect.id;
    await eventually(() => deliveries('DELIVERED'), (list) => list.some((d) => d.recordKey === prospectId), 'the creation sync');
    dataOf(await gql(t.url, `mutation($id: ID!) { updateProspectStage(id: $id, stage: LOST) { stage } }`, { id: prospectId }, owner.token));

    const review = await eventually(
      async () => dataOf(await gql<{ crmReviewQueue: { edges: Array<{ node: Delivery & { conflictReason: string; conflictRemote: string } }> } }>(t.url, `{ crmReviewQueue { edges { node { ${DELIVERY} conflictReason conflictRemote } } } }`, {}, owner.token)).crmReviewQueue.edges.map((e) => e.node),
      (list) => list.some((d) => d.recordKey === prospectId),
      'the conflict in review',
    );
    const conflict = review.find((d) => d.recordKey === prospectId);
    expect(conflict).toMatchObject({ status: 'CONFLICT', attempts: 1 });
    expect(conflict?.conflictRemote).toContain('Qualified');
    expect(conflict?.mappedFields).toEqual(expect.arrayContaining([{ name: 'StageName', value: 'Closed Lost' }, { name: 'previousStage', value: 'Prospecting' }]));
    const sent = crm.requests.filter((r) => r.body.recordKey === prospectId && r.body.fields.StageName === 'Closed Lost');
    expect(sent).toHaveLength(1);
    expect(sent[0].body.precondition).toEqual({ name: 'StageName', value: 'Prospecting' });

    const resolved = dataOf(await gql<{ resolveCrmConflict: { status: string } }>(t.url, `mutation($id: ID!) { resolveCrmConflict(id: $id, action: PUSH_OURS, note: "Deal is lost, the CRM is stale") { status } }`, { id: conflict?.id }, owner.token)).resolveCrmConflict;
    expect(resolved.status).toBe('PENDING');
    await eventually(() => deliveries('DELIVERED'), (list) => list.some((d) => d.id === conflict?.id), 'the pushed change');
    const pushed = crm.requests.filter((r) => r.body.recordKey === prospectId && r.body.fields.StageName === 'Closed Lost');
    expect(pushed).toHaveLength(2);
    expect(pushed[1].body).toMatchObject({ force: true, precondition: null });
  }, 60_000);
});

describe('monitoring: incidents from runtime signals, automatic rollback, root-cause summary', () => {
  let owner: { id: string; token: string };
  beforeAll(async () => {
    owner = await newOwner(await newOrg('Monitor Corp'), 'owner@monitor.test');
  }, 30_000);

  const SIGNALS = `mutation($input: RuntimeSignalsInput!) {
    recordRuntimeSignals(input: $input) { errorRate successRate breaches incident { id status rollbackState rollbackToVersion } provenance { method } }
  }`;
  interface SignalsResult {
    recordRuntimeSignals: { errorRate: number | null; successRate: number | null; breaches: string[]; incident: { id: string; status: string; rollbackState: string; rollbackToVersion: number | null } | null; provenance: { method: string } };
  }

  it('opens an incident when the error rate passes 5%, and implementation rolls the configuration back to the previous version', async () => {
    const document = { schemaVersion: 1, productType: 'VOICEBOT', model: 'gpt-4o', systemPrompt: 'You are the Monitor Corp hotline voice agent.', tools: [], integrations: [], voice: { speed: 1.1, clarity: 0.9, style: 'calm', backgroundSound: null }, escalationRules: [] };
    const configId = dataOf(await gql<{ createConfig: { id: string } }>(t.url, `mutation($input: CreateConfigInput!) { createConfig(input: $input) { id } }`, { input: { name: 'Hotline', document: JSON.stringify(document) } }, owner.token)).createConfig.id;
    const DEPLOY = `mutation($input: DeployConfigInput!) { deployConfig(input: $input) { id } }`;
    dataOf(await gql(t.url, DEPLOY, { input: { configId, version: 1, environment: 'DEV' } }, owner.token));
    dataOf(await gql(t.url, `mutation($input: CommitConfigInput!) { commitConfig(input: $input) { number } }`, { input: { configId, document: JSON.stringify({ ...document, voice: { ...document.voice, speed: 1.3 } }), message: 'Faster voice' } }, owner.token));
    const v2Deployment = dataOf(await gql<{ deployConfig: { id: string } }>(t.url, DEPLOY, { input: { configId, version: 2, environment: 'DEV' } }, owner.token)).deployConfig.id;

    // Monitoring learns the deployment from implementation's config.deployed event.
    const known = await eventually(
      async () => dataOf(await gql<{ monitoredDeployment: { version: number; previousVersion: number | null; deployment: { id: string } } | null }>(t.url, `query($c: ID!) { monitoredDeployment(configId: $c, environment: DEV) { version previousVersion deployment { id } } }`, { c: configId }, owner.token)).monitoredDeployment,
      (d) => d?.version === 2,
      'the deployment to reach monitoring',
    );
    expect(known).toEqual({ version: 2, previousVersion: 1, deployment: { id: v2Deployment } });
    // A healthy window is just recorded.
    const healthy = await gql<SignalsResult>(t.url, SIGNALS, { input: { configId, environment: 'DEV', requests: 400, errors: 8, conversations: 100, successfulConversations: 92 } }, owner.token);
    expect(dataOf(healthy).recordRuntimeSignals).toMatchObject({ errorRate: 0.02, successRate: 0.92, breaches: [], incident: null, provenance: { method: 'RULE' } });

    const sub = await subscribe(owner.token, `subscription { timeline(kinds: ["monitoring.incident.opened", "monitoring.rollback.completed"]) { kind severity subject { __typename ... on MonitoringIncident { id status rollbackState } } } }`);
    // 30 of 400 requests fail (7.5%): an incident, and a rollback request to version 1.
    const breach = dataOf(await gql<SignalsResult>(t.url, SIGNALS, { input: { configId, environment: 'DEV', requests: 400, errors: 30, conversations: 100, successfulConversations: 90 } }, owner.token)).recordRuntimeSignals;
    expect(breach).toMatchObject({ errorRate: 0.075, successRate: 0.9, breaches: ['ERROR_RATE'], incident: { status: 'OPEN', rollbackState: 'REQUESTED', rollbackToVersion: 1 } });
    const incidentId = breach.incident?.id as string;

    // Implementation acts on the request: DEV runs version 1 again, and the incident records it.
    const INCIDENT = `query($id: ID!) { incident(id: $id) {
      status version previousVersion rollbackState breaches errorRate
      timeline { kind detail }
      rootCause { summary provenance { method model } }
      deployment { id }
      config { id name deployedVersion(environment: DEV) { number } }
      task { id kind audience priority status }
    } }`;
    interface Incident {
      status: string;
      version: number;
      previousVersion: number;
      rollbackState: string;
      breaches: string[];
      errorRate: number;
      timeline: Array<{ kind: string; detail: string }>;
      rootCause: { summary: string; provenance: { method: string; model: string } };
      deployment: { id: string };
      config: { id: string; name: string; deployedVersion: { number: number } | null };
      task: { id: string; kind: string; audience: string; priority: string; status: string } | null;
    }
    const incident = await eventually(
      async () => dataOf(await gql<{ incident: Incident }>(t.url, INCIDENT, { id: incidentId }, owner.token)).incident,
      (i) => i.rollbackState !== 'REQUESTED',
      'the rollback',
    );
    expect(incident).toMatchObject({ status: 'OPEN', version: 2, previousVersion: 1, rollbackState: 'DONE', breaches: ['ERROR_RATE'], errorRate: 0.075, deployment: { id: v2Deployment } });
    expect(incident.config).toEqual({ id: configId, name: 'Hotline', deployedVersion: { number: 1 } });
    // The Copilot gets a task for the onboarding specialist who owns the configuration.
    expect(incident.task).toMatchObject({ kind: 'RESOLVE_INCIDENT', audience: 'ONBOARDING', priority: 'HIGH', status: 'OPEN' });
    expect(incident.timeline.map((e) => e.kind)).toEqual(['OPENED', 'ROLLBACK_REQUESTED', 'ROLLED_BACK']);
    // No language model is configured here: the deterministic local method wrote the summary, and provenance says so.
    expect(incident.rootCause.provenance).toEqual({ method: 'RULE', model: 'mesh-monitoring-rca' });
    expect(incident.rootCause.summary).toMatch(/regression in configuration version 2/);
    expect(incident.rootCause.summary).toMatch(/Roll back to version 1/);

    await waitUntil(() => sub.messages.length >= 2, 'incident events on the timeline');
    const kinds = sub.messages.map((m) => (m.data as { timeline: { kind: string; severity: string } }).timeline);
    expect(kinds.map((k) => k.kind)).toEqual(['monitoring.incident.opened', 'monitoring.rollback.completed']);
    expect(kinds.every((k) => k.severity === 'CRITICAL')).toBe(true);

    // Signals of the rolled-back version are healthy: the incident notes recovery; a person resolves it.
    const recovered = dataOf(await gql<SignalsResult>(t.url, SIGNALS, { input: { configId, environment: 'DEV', requests: 300, errors: 3, conversations: 80, successfulConversations: 76 } }, owner.token)).recordRuntimeSignals;
    expect(recovered.breaches).toEqual([]);
    expect(recovered.incident?.id).toBe(incidentId);
    const resolved = dataOf(await gql<{ resolveIncident: { status: string; timeline: Array<{ kind: string }> } }>(t.url, `mutation($id: ID!) { resolveIncident(id: $id, note: "Voice speed 1.3 broke the TTS provider; stay on v1") { status timeline { kind } } }`, { id: incidentId }, owner.token)).resolveIncident;
    expect(resolved.status).toBe('RESOLVED');
    expect(resolved.timeline.map((e) => e.kind)).toEqual(['OPENED', 'ROLLBACK_REQUESTED', 'ROLLED_BACK', 'RECOVERED', 'RESOLVED']);
    const task = dataOf(await gql<{ incident: { task: { status: string } } }>(t.url, `query($id: ID!) { incident(id: $id) { task { status } } }`, { id: incidentId }, owner.token)).incident.task;
    expect(task.status).toBe('DONE');
  }, 60_000);

  it('refuses inconsistent signal windows with a coded, hinted error', async () => {
    const bad = await gql(t.url, SIGNALS, { input: { configId: 'unknown', requests: 10, errors: 20, conversations: 0, successfulConversations: 0 } }, owner.token);
    expect(bad.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.errors' });
    expect(bad.body.errors?.[0].extensions.hint).toBeTruthy();
    const unknown = await gql(t.url, SIGNALS, { input: { configId: 'unknown', requests: 100, errors: 20, conversations: 0, successfulConversations: 0 } }, owner.token);
    expect(unknown.body.errors?.[0].extensions.code).toBe('NOT_FOUND');
    expect(unknown.body.errors?.[0].extensions.hint).toMatch(/deploy/i);
  });
});

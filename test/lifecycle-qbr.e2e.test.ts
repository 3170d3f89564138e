import { dataOf, gql, signIn, startTestMesh, waitHealthy, type TestMesh } from './client.ts';

/**
 * Issue 8, the rest, end to end through the real gateway: QBR decks (KPIs against objectives,
 * experiment results, ROI, recommendations, a benchmark only from groups of ≥ 5 similar clients,
 * editable with provenance per section), cohorts with personalized drafts, and approval routing with
 * an SLA countdown that escalates by itself.
 */
let t: TestMesh;
let admin: string;

beforeAll(async () => {
  t = await startTestMesh();
  await waitHealthy(t.base);
  admin = (await signIn(t.url, t.adminEmail, t.adminPassword)).accessToken;
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

const newOrg = async (name: string): Promise<string> =>
  dataOf(await gql<{ createOrganization: { id: string } }>(t.url, `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { id } }`, { input: { name } }, admin)).createOrganization.id;

const newUser = async (organizationId: string, email: string, roles: string[]): Promise<{ id: string; token: string }> => {
  const created = dataOf(
    await gql<{ createUser: { id: string } }>(t.url, `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`, { input: { organizationId, email, name: email.split('@')[0], roles, password: 'a-long-password-1' } }, admin),
  ).createUser;
  return { id: created.id, token: (await signIn(t.url, email, 'a-long-password-1')).accessToken };
};

/** Reads until `done` holds (bounded), for effects that travel over the bus or wait for a scheduler tick. */
const eventually = async <T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, limitMs = 20_000): Promise<T> => {
  let last = await read();
  const until = Date.now() + limitMs;
  while (!done(last)) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
};

const currentQuarter = (): string => {
  const now = new Date();
  return `${now.getUTCFullYear()}-Q${Math.floor(now.getUTCMonth() / 3) + 1}`;
};

const RECORD = `mutation($input: HealthSignalsInput!) { recordHealthSignals(input: $input) { score { score band } } }`;
const record = async (token: string, input: Record<string, number | string>): Promise<number> =>
  dataOf(await gql<{ recordHealthSignals: { score: { score: number } } }>(t.url, RECORD, { input }, token)).recordHealthSignals.score.score;

const SET_QBR = `mutation($input: QbrSettingsInput!) { setQbrSettings(input: $input) { objectives { kpi target direction } roi { minutesSavedPerTicket hourlyCost platformCostPerQuarter } benchmarkProfile { industry sizeBand plan } provenance { method } } }`;

const DECK_FIELDS = `id period generationMs generatedBy { id } provenance { method explanation }
  sections { kind title body generatedBody edited editedBy { id } data provenance { method explanation inputsDigest } generatedProvenance { method explanation inputsDigest } }`;
const GENERATE = `mutation($period: String!) { generateQbrDeck(period: $period) { ${DECK_FIELDS} } }`;

interface Section {
  kind: string;
  title: string;
  body: string;
  generatedBody: string;
  edited: boolean;
  editedBy: { id: string } | null;
  data: string;
  provenance: { method: string; explanation: string; inputsDigest: string };
  generatedProvenance: { method: string; explanation: string; inputsDigest: string };
}
interface Deck {
  id: string;
  period: string;
  generationMs: number;
  generatedBy: { id: string };
  provenance: { method: string; explanation: string };
  sections: Section[];
}

const generate = async (token: string, period = currentQuarter()): Promise<Deck> => dataOf(await gql<{ generateQbrDeck: Deck }>(t.url, GENERATE, { period }, token)).generateQbrDeck;
const section = (deck: Deck, kind: string): Section => {
  const found = deck.sections.find((s) => s.kind === kind);
  if (!found) throw new Error(`no ${kind} section`);
  return found;
};

const GOOD = { usageFrequency: 7, errorRate: 0, csat: 5, openTickets: 0, engagement: 1 };

describe('QBR decks', () => {
  let org: string;
  let owner: { id: string; token: string };
  let deck: Deck;

  beforeAll(async () => {
    org = await newOrg('Quarterly Corp');
    owner = await newUser(org, 'owner@qbr.test', ['OWNER']);
  }, 30_000);

  it('generates KPIs against objectives, experiment results, ROI, recommendations and an absent benchmark, each with provenance', async () => {
    const settings = dataOf(
      await gql<{ setQbrSettings: { objectives: unknown[]; roi: unknown; benchmarkProfile: unknown; provenance: { method: string } } }>(
        t.url,
        SET_QBR,
        {
          input: {
            objectives: [
              { kpi: 'AUTO_RESOLUTION_RATE', target: 0.5, direction: 'AT_LEAST' },
              { kpi: 'ESCALATION_RATE', target: 0.5, direction: 'AT_MOST' },
              { kpi: 'LATEST_HEALTH', target: 80, direction: 'AT_LEAST' },
            ],
            roi: { minutesSavedPerTicket: 20, hourlyCost: 45, platformCostPerQuarter: 300 },
            benchmarkProfile: { industry: ' Insurance ', sizeBand: 'SMALL', plan: 'Pro' },
          },
        },
        owner.token,
      ),
    ).setQbrSettings;
    expect(settings.benchmarkProfile).toEqual({ industry: 'insurance', sizeBand: 'SMALL', plan: 'pro' });
    expect(settings.provenance.method).toBe('HUMAN');

    const score = await record(owner.token, GOOD);

    // Support: teach one fix, so 1 of 3 tickets resolves itself.
    const OPEN = `mutation($input: OpenTicketInput!) { openTicket(input: $input) { id status } }`;
    const open = async (subject: string, body: string) => dataOf(await gql<{ openTicket: { id: string; status: string } }>(t.url, OPEN, { input: { channel: 'EMAIL', subject, body } }, owner.token)).openTicket;
    const first = await open('Export to CSV fails with a timeout', 'Exporting the monthly conversation report to CSV fails after a minute with a gateway timeout.');
    expect(first.status).toBe('ESCALATED');
    await gql(t.url, `mutation($id: ID!, $r: String!) { resolveTicket(id: $id, resolution: $r) { id } }`, { id: first.id, r: 'Exports over 50k rows time out: filter the report to one month or use the scheduled export.' }, owner.token);
    expect((await open('Export to CSV fails with a timeout', 'Exporting the monthly conversation report to CSV fails after a minute with a gateway timeout.')).status).toBe('RESOLVED');
    expect((await open('Billing address change', 'Please change our billing address to the new office in Lyon.')).status).toBe('ESCALATED');

    // Experiment: 2 outcomes, 1 conversion.
    const experiment = dataOf(
      await gql<{ createExperiment: { id: string } }>(t.url, `mutation($input: CreateExperimentInput!) { createExperiment(input: $input) { id } }`, { input: { name: 'Renewal nudge', variants: [{ key: 'short', content: 'Renew now' }, { key: 'long', content: 'Here is what you achieved this year' }] } }, owner.token),
    ).createExperiment;
    for (const [recipientId, converted] of [['r1', true], ['r2', false]] as const) {
      await gql(t.url, `mutation($e: ID!, $r: String!) { assignVariant(experimentId: $e, recipientId: $r) { id } }`, { e: experiment.id, r: recipientId }, owner.token);
      dataOf(await gql(t.url, `mutation($e: ID!, $r: String!, $c: Boolean!) { recordExperimentOutcome(experimentId: $e, recipientId: $r, converted: $c) { id } }`, { e: experiment.id, r: recipientId, c: converted }, owner.token));
    }

    deck = await generate(owner.token);
    expect(deck.period).toBe(currentQuarter());
    expect(deck.generatedBy).toEqual({ id: owner.id });
    expect(deck.sections.map((s) => s.kind)).toEqual(['KPIS', 'EXPERIMENTS', 'ROI', 'RECOMMENDATIONS', 'BENCHMARK']);

    const kpis = JSON.parse(section(deck, 'KPIS').data) as Array<{ kpi: string; value: number | null; met: boolean | null; gap: number | null }>;
    const kpi = (name: string) => kpis.find((k) => k.kpi === name);
    expect(kpi('AUTO_RESOLUTION_RATE')).toMatchObject({ value: 0.3333, met: false, gap: -0.1667 });
    expect(kpi('ESCALATION_RATE')).toMatchObject({ value: 0.6667, met: false, gap: 0.1667 });
    expect(kpi('LATEST_HEALTH')).toMatchObject({ value: score, met: score >= 80 });
    expect(kpi('CONVERSION_RATE')).toMatchObject({ value: 0.5, met: null });
    expect(kpi('INCIDENTS')).toMatchObject({ value: 0, met: null });

    const experiments = JSON.parse(section(deck, 'EXPERIMENTS').data) as Array<{ name: string; outcomes: number; conversions: number; leader: string | null }>;
    expect(experiments).toEqual([expect.objectContaining({ name: 'Renewal nudge', outcomes: 2, conversions: 1 })]);

    // ROI by the stated formula: 1 ticket × 20 min / 60 × 45 = 15 saved; (15 − 300) / 300 = −0.95.
    const roi = section(deck, 'ROI');
    expect(JSON.parse(roi.data)).toMatchObject({ savings: 15, roi: -0.95, autoResolvedTickets: 1 });
    expect(roi.generatedProvenance.explanation).toContain('roi = (savings − platformCost) / platformCost');

    const recommendations = JSON.parse(section(deck, 'RECOMMENDATIONS').data) as string[];
    expect(recommendations.some((r) => r.includes('AUTO_RESOLUTION_RATE 0.3333'))).toBe(true);
    expect(recommendations.some((r) => r.includes('ESCALATION_RATE 0.6667'))).toBe(true);

    // One client in the segment: no benchmark, and the section says why.
    const bench = section(deck, 'BENCHMARK');
    expect(JSON.parse(bench.data)).toMatchObject({ available: false, mean: null });
    expect(bench.body).toMatch(/needs at least 5/);

    for (const s of deck.sections) {
      expect(s.edited).toBe(false);
      expect(s.body).toBe(s.generatedBody);
      expect(s.generatedProvenance.inputsDigest).toMatch(/^[0-9a-f]{64}$/);
      expect(s.generatedProvenance.explanation).toContain('deterministic local method (no language model configured)');
    }
    expect(new Set(deck.sections.map((s) => s.generatedProvenance.inputsDigest)).size).toBe(5);
    expect(deck.generationMs).toBeGreaterThanOrEqual(0);
  }, 60_000);

  it('keeps the generated version when a person edits a section, with HUMAN provenance', async () => {
    const UPDATE = `mutation($input: UpdateQbrSectionInput!) { updateQbrSection(input: $input) { section(kind: RECOMMENDATIONS) { body generatedBody edited editedBy { id } provenance { method } generatedProvenance { method inputsDigest } } } }`;
    const before = section(deck, 'RECOMMENDATIONS');
    const edited = dataOf(await gql<{ updateQbrSection: { section: Section } }>(t.url, UPDATE, { input: { deckId: deck.id, kind: 'RECOMMENDATIONS', body: 'Focus on the knowledge base first.' } }, owner.token)).updateQbrSection.section;
    expect(edited.body).toBe('Focus on the knowledge base first.');
    expect(edited.generatedBody).toBe(before.generatedBody);
    expect(edited.edited).toBe(true);
    expect(edited.editedBy).toEqual({ id: owner.id });
    expect(edited.provenance.method).toBe('HUMAN');
    expect(edited.generatedProvenance).toEqual({ method: before.generatedProvenance.method, inputsDigest: before.generatedProvenance.inputsDigest });
    const reread = dataOf(await gql<{ qbrDeck: { section: { body: string } } }>(t.url, `query($id: ID!) { qbrDeck(id: $id) { section(kind: RECOMMENDATIONS) { body } } }`, { id: deck.id }, owner.token)).qbrDeck;
    expect(reread.section.body).toBe('Focus on the knowledge base first.');
  });

  it('refuses a bad period with a coded, hinted error and keeps decks private to their organization', async () => {
    const bad = await gql(t.url, GENERATE, { period: '2026-Q5' }, owner.token);
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'period' });
    expect(bad.body.errors?.[0].extensions.hint).toMatch(/YYYY-Qn/);
    expect(bad.body.errors?.[0].extensions.correlationId).toBeTruthy();
    const other = await newUser(await newOrg('Nosy Corp'), 'owner@nosy.test', ['OWNER']);
    const peek = dataOf(await gql<{ qbrDeck: unknown }>(t.url, `query($id: ID!) { qbrDeck(id: $id) { id } }`, { id: deck.id }, other.token));
    expect(peek.qbrDeck).toBeNull();
    const decks = dataOf(await gql<{ qbrDecks: { edges: unknown[] } }>(t.url, `{ qbrDecks { edges { node { id } } } }`, {}, other.token)).qbrDecks;
    expect(decks.edges).toEqual([]);
  }, 30_000);

  it('benchmarks only once the segment has 5 distinct clients, from the anonymized aggregate', async () => {
    const signals = [
      { usageFrequency: 6, errorRate: 0.02, csat: 4.5, openTickets: 1, engagement: 0.8 },
      { usageFrequency: 3, errorRate: 0.05, csat: 3.5, openTickets: 3, engagement: 0.5 },
      { usageFrequency: 5, errorRate: 0.01, csat: 4, openTickets: 0, engagement: 0.9 },
      { usageFrequency: 2, errorRate: 0.08, csat: 2.5, openTickets: 5, engagement: 0.3 },
    ];
    const first = await record(owner.token, GOOD);
    const scores = [first];
    const owners: Array<{ id: string; token: string }> = [];
    for (const [i, s] of signals.entries()) {
      const o = await newUser(await newOrg(`Peer ${i}`), `owner@peer${i}.test`, ['OWNER']);
      owners.push(o);
      dataOf(await gql(t.url, SET_QBR, { input: { benchmarkProfile: { industry: 'insurance', sizeBand: 'SMALL', plan: 'pro' } } }, o.token));
      scores.push(await record(o.token, s));
      if (i === 2) {
        // Four clients so far: still no benchmark (and it never appears while the group is small).
        const small = await generate(owner.token);
        expect(JSON.parse(section(small, 'BENCHMARK').data)).toMatchObject({ available: false });
      }
    }
    // Another segment does not count towards this one.
    const outsider = await newUser(await newOrg('Outsider'), 'owner@outsider.test', ['OWNER']);
    dataOf(await gql(t.url, SET_QBR, { input: { benchmarkProfile: { industry: 'insurance', sizeBand: 'LARGE', plan: 'pro' } } }, outsider.token));
    await record(outsider.token, GOOD);

    const mean = scores.reduce((a, b) => a + b, 0) / 5;
    const variance = scores.reduce((a, b) => a + b * b, 0) / 5 - mean * mean;
    const ready = await eventually(
      () => generate(owners[3].token),
      (d) => JSON.parse(section(d, 'BENCHMARK').data).clients === 5,
      'five clients in the segment aggregate',
    );
    const bench = JSON.parse(section(ready, 'BENCHMARK').data) as { available: boolean; clients: number; mean: number; stddev: number; delta: number };
    expect(bench.available).toBe(true);
    expect(bench.mean).toBeCloseTo(mean, 2);
    expect(bench.stddev).toBeCloseTo(Math.sqrt(variance), 1);
    expect(bench.delta).toBeCloseTo(scores[4] - mean, 2);
    expect(section(ready, 'BENCHMARK').generatedProvenance.method).toBe('STATISTICAL');
    expect(section(ready, 'BENCHMARK').body).toContain('Against 5 similar clients');
    // A client's newer score replaces its contribution (still 5 clients, new mean).
    const replaced = await record(owners[3].token, GOOD);
    const after = await eventually(
      () => generate(owners[3].token),
      (d) => Math.abs(JSON.parse(section(d, 'BENCHMARK').data).mean - (mean * 5 - scores[4] + replaced) / 5) < 0.01,
      'the replaced contribution',
    );
    expect(JSON.parse(section(after, 'BENCHMARK').data).clients).toBe(5);
  }, 90_000);
});

describe('cohorts and drafts', () => {
  let org: string;
  let owner: { id: string; token: string };
  let member: { id: string; token: string };

  beforeAll(async () => {
    org = await newOrg('Cohort Corp');
    owner = await newUser(org, 'owner@cohort.test', ['OWNER']);
    member = await newUser(org, 'member@cohort.test', ['MEMBER']);
  }, 30_000);

  it('puts a trial organization in TRIAL, its busiest user in POWER_USER, and drafts per member with provenance', async () => {
    dataOf(await gql(t.url, `mutation($input: SetLifecycleStageInput!) { setLifecycleStage(input: $input) { to } }`, { input: { stage: 'TRIAL', reason: 'trial started' } }, owner.token));
    for (let day = 1; day <= 10; day += 1) await record(owner.token, { ...GOOD, observedAt: new Date(Date.now() - day * 86_400_000).toISOString() });
    await gql(t.url, `mutation($input: OpenTicketInput!) { openTicket(input: $input) { id } }`, { input: { channel: 'CHAT', subject: 'How do I invite colleagues?', body: 'Where do I invite the rest of my team to the trial?' } }, member.token);

    const COHORTS = `{ cohorts { cohort organizationInCohort memberCount provenance { method explanation } } }`;
    type Row = { cohort: string; organizationInCohort: boolean; memberCount: number; provenance: { method: string } };
    const cohorts = await eventually(
      async () => dataOf(await gql<{ cohorts: Row[] }>(t.url, COHORTS, {}, owner.token)).cohorts,
      (rows) => rows.find((r) => r.cohort === 'TRIAL')?.memberCount === 2 && rows.find((r) => r.cohort === 'POWER_USER')?.memberCount === 1,
      'the timeline to count both users',
    );
    expect(cohorts.map((c) => [c.cohort, c.organizationInCohort])).toEqual([['TRIAL', true], ['POWER_USER', false], ['AT_RISK', false], ['RENEWAL', false]]);
    expect(cohorts.find((c) => c.cohort === 'AT_RISK')?.memberCount).toBe(0);
    expect(cohorts[0].provenance.method).toBe('RULE');

    const DRAFTS = `query($c: Cohort!) { cohortDrafts(cohort: $c) { cohort user { id } organization { id } actions subject body provenance { method explanation } } }`;
    type Draft = { cohort: string; user: { id: string }; organization: { id: string }; actions: number; subject: string; body: string; provenance: { method: string; explanation: string } };
    const trial = dataOf(await gql<{ cohortDrafts: Draft[] }>(t.url, DRAFTS, { c: 'TRIAL' }, owner.token)).cohortDrafts;
    expect(trial.map((d) => d.user.id)).toEqual([owner.id, member.id]);
    expect(trial[0].actions).toBeGreaterThanOrEqual(11);
    expect(trial[1].actions).toBeGreaterThanOrEqual(1);
    expect(trial[0].organization).toEqual({ id: org });
    expect(trial[0].subject).toBe('Getting the most from your trial');
    expect(trial[0].body).toContain(`You have taken ${trial[0].actions} actions`);
    expect(trial[1].body).toContain(`You have taken ${trial[1].actions} action`);
    expect(trial[0].body).not.toBe(trial[1].body);
    expect(trial[0].provenance.method).toBe('RULE');
    expect(trial[0].provenance.explanation).toContain('no language model configured');

    const power = dataOf(await gql<{ cohortDrafts: Draft[] }>(t.url, DRAFTS, { c: 'POWER_USER' }, owner.token)).cohortDrafts;
    expect(power.map((d) => d.user.id)).toEqual([owner.id]);
    expect(dataOf(await gql<{ cohortDrafts: Draft[] }>(t.url, DRAFTS, { c: 'RENEWAL' }, owner.token)).cohortDrafts).toEqual([]);

    const bad = await gql(t.url, `{ cohortDrafts(cohort: TRIAL, first: 0) { subject } }`, {}, owner.token);
    expect(bad.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  }, 60_000);
});

describe('approval routing', () => {
  let org: string;
  let owner: { id: string; token: string };
  let orgAdmin: { id: string; token: string };
  let member: { id: string; token: string };

  beforeAll(async () => {
    org = await newOrg('Approvals Corp');
    owner = await newUser(org, 'owner@approvals.test', ['OWNER']);
    orgAdmin = await newUser(org, 'admin@approvals.test', ['ADMIN']);
    member = await newUser(org, 'member@approvals.test', ['MEMBER']);
    dataOf(await gql(t.url, `mutation($input: ApprovalPolicyInput!) { setApprovalPolicy(input: $input) { slaSeconds { LOW MEDIUM HIGH } } }`, { input: { slaSeconds: { LOW: 86_400, MEDIUM: 1, HIGH: 7200 } } }, owner.token));
  }, 30_000);

  const FIELDS = `id status assignedRole chain slaSeconds slaDeadline slaSecondsLeft escalations breachedAtTop decidedBy { id } decisionNote requestedBy { id } steps { action role detail provenance { method } } provenance { method explanation }`;
  const REQUEST = `mutation($input: RequestApprovalInput!) { requestApproval(input: $input) { ${FIELDS} } }`;
  const DECIDE = `mutation($id: ID!, $approve: Boolean!, $note: String) { decideApproval(id: $id, approve: $approve, note: $note) { ${FIELDS} } }`;
  interface Approval {
    id: string;
    status: string;
    assignedRole: string | null;
    chain: string[];
    slaSeconds: number | null;
    slaDeadline: string | null;
    slaSecondsLeft: number | null;
    escalations: number;
    breachedAtTop: boolean;
    decidedBy: { id: string } | null;
    decisionNote: string | null;
    requestedBy: { id: string };
    steps: Array<{ action: string; role: string | null; detail: string }>;
    provenance: { method: string; explanation: string };
  }
  const request = async (token: string, input: Record<string, unknown>) => dataOf(await gql<{ requestApproval: Approval }>(t.url, REQUEST, { input }, token)).requestApproval;
  const read = async (id: string, token = owner.token) => dataOf(await gql<{ approvalRequest: Approval }>(t.url, `query($id: ID!) { approvalRequest(id: $id) { ${FIELDS} } }`, { id }, token)).approvalRequest;

  it('approves LOW risk small amounts by rule', async () => {
    const r = await request(member.token, { type: 'SPEND', risk: 'LOW', amount: 500, title: 'Team lunch budget' });
    expect(r).toMatchObject({ status: 'AUTO_APPROVED', assignedRole: null, slaDeadline: null, slaSecondsLeft: null });
    expect(r.provenance).toMatchObject({ method: 'RULE' });
    expect(r.steps.map((s) => s.action)).toEqual(['AUTO_APPROVED']);
  });

  it('routes by type, risk and amount with an SLA countdown; only an entitled other person decides', async () => {
    const r = await request(member.token, { type: 'SPEND', risk: 'HIGH', amount: 2000, title: 'New analytics tool', details: 'Annual licence' });
    expect(r).toMatchObject({ status: 'PENDING', assignedRole: 'ADMIN', chain: ['ADMIN', 'OWNER'], slaSeconds: 7200, requestedBy: { id: member.id } });
    expect(r.slaSecondsLeft).toBeGreaterThan(0);
    expect(r.slaSecondsLeft).toBeLessThanOrEqual(7200);
    expect(r.provenance.explanation).toContain('SPEND requests go to ADMIN; HIGH risk SLA 7200 s');

    const inbox = async (token: string) => dataOf(await gql<{ approvalInbox: Array<{ id: string }> }>(t.url, `{ approvalInbox { id } }`, {}, token)).approvalInbox.map((x) => x.id);
    expect(await inbox(orgAdmin.token)).toContain(r.id);
    expect(await inbox(member.token)).not.toContain(r.id);

    const own = await gql(t.url, DECIDE, { id: r.id, approve: true }, member.token);
    expect(own.body.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN' });
    expect(own.body.errors?.[0].extensions.hint).toMatch(/separation of duties/);
    const noReason = await gql(t.url, DECIDE, { id: r.id, approve: false }, orgAdmin.token);
    expect(noReason.status).toBe(400);
    expect(noReason.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'note' });
    expect((await read(r.id)).status).toBe('PENDING');

    const decided = dataOf(await gql<{ decideApproval: Approval }>(t.url, DECIDE, { id: r.id, approve: false, note: 'Use the existing BI tool' }, orgAdmin.token)).decideApproval;
    expect(decided).toMatchObject({ status: 'REJECTED', decidedBy: { id: orgAdmin.id }, decisionNote: 'Use the existing BI tool', slaSecondsLeft: null });
    expect(decided.provenance.method).toBe('HUMAN');
    expect(decided.steps.map((s) => s.action)).toEqual(['ROUTED', 'REJECTED']);
    const again = await gql(t.url, DECIDE, { id: r.id, approve: true }, owner.token);
    expect(again.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  }, 30_000);

  it('escalates by itself when the SLA passes, up to the top of the chain, and the timeline shows it', async () => {
    const r = await request(member.token, { type: 'SPEND', risk: 'MEDIUM', amount: 5000, title: 'Conference sponsorship' });
    expect(r).toMatchObject({ status: 'PENDING', assignedRole: 'ADMIN', slaSeconds: 1 });

    const escalated = await eventually(() => read(r.id), (x) => x.assignedRole === 'OWNER', 'escalation to OWNER');
    expect(escalated.escalations).toBe(1);
    expect(escalated.steps[1]).toMatchObject({ action: 'ESCALATED', role: 'OWNER' });
    expect(escalated.steps[1].detail).toMatch(/without a decision by ADMIN: escalated to OWNER/);

    const top = await eventually(() => read(r.id), (x) => x.breachedAtTop, 'the SLA breach at the top');
    expect(top.status).toBe('PENDING');
    expect(top.slaSecondsLeft).toBeLessThan(0);
    expect(top.steps.map((s) => s.action)).toEqual(['ROUTED', 'ESCALATED', 'SLA_BREACHED_AT_TOP']);

    const tooLow = await gql(t.url, DECIDE, { id: r.id, approve: true }, orgAdmin.token);
    expect(tooLow.body.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN' });
    const approved = dataOf(await gql<{ decideApproval: Approval }>(t.url, DECIDE, { id: r.id, approve: true, note: 'Worth it' }, owner.token)).decideApproval;
    expect(approved).toMatchObject({ status: 'APPROVED', decidedBy: { id: owner.id } });

    const kinds = ['approval.requested', 'approval.escalated', 'approval.sla_breached', 'approval.approved'];
    const timeline = await eventually(
      async () => dataOf(await gql<{ timeline: { edges: Array<{ node: { kind: string; summary: string } }> } }>(t.url, `query($k: [String!]) { timeline(kinds: $k, first: 50) { edges { node { kind summary } } } }`, { k: kinds }, owner.token)).timeline.edges.map((e) => e.node.kind),
      (seen) => kinds.every((k) => seen.includes(k)),
      'approval events on the timeline',
    );
    expect(timeline.filter((k) => k === 'approval.escalated')).toHaveLength(1);
    const subjects = dataOf(
      await gql<{ timeline: { edges: Array<{ node: { summary: string; subject: { __typename: string; id: string; status: string } | null } }> } }>(
        t.url,
        `{ timeline(kinds: ["approval.escalated", "approval.approved"], first: 10) { edges { node { summary subject { __typename ... on ApprovalRequest { id status } } } } } }`,
        {},
        owner.token,
      ),
    ).timeline.edges.map((e) => e.node);
    expect(subjects.map((n) => n.subject)).toEqual([
      { __typename: 'ApprovalRequest', id: r.id, status: 'APPROVED' },
      { __typename: 'ApprovalRequest', id: r.id, status: 'APPROVED' },
    ]);
    expect(subjects.map((n) => n.summary)).toContain('Approval escalated: Conference sponsorship');
  }, 60_000);
});

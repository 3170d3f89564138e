import { record, waitUntil, type Recording } from '../gateway/subscriptions/client.ts';
import { dataOf, gql, signIn, startTestMesh, waitHealthy, type GraphQLResult, type TestMesh } from './client.ts';

/**
 * Issue 6's "done means", end to end through the real gateway (all seven subgraphs, HTTP and
 * graphql-ws on /graphql, embedded engines): impact events recorded and scored with explanations;
 * passions and matches with their audit record (in governance's chain); a team of 5 whose pulses trend
 * down raises an URGENT alert on a subscribed socket with identity's team and manager resolved, and it
 * is heard and acted upon; a team of 4 gets no aggregate on any path; withdrawing consent in identity
 * removes the person from future computations.
 */
let t: TestMesh;
let admin: string;
let ws: string;
const open: Recording[] = [];

interface Person {
  id: string;
  token: string;
}

let orgId: string;
let owner: Person;
let manager: Person;
let members: Person[];
let smallMembers: Person[];
let bigTeamId: string;
let smallTeamId: string;

const DAY = 86_400_000;
const window = () => ({ from: new Date(Date.now() - 7 * DAY).toISOString(), to: new Date(Date.now() + 60 * 60_000).toISOString() });
/** Answers whose safety score is `score`: every scored item equal (items 1, 3, 5 are reverse-scored). */
const answersFor = (score: number): number[] => [8 - score, score, 8 - score, score, 8 - score, score, score];
const codeOf = (result: GraphQLResult): string | undefined => result.body.errors?.[0]?.extensions.code;

const newUser = async (email: string, name: string, roles: string[]): Promise<Person> => {
  const created = dataOf(await gql<{ createUser: { id: string } }>(t.url, `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`, { input: { organizationId: orgId, email, name, roles, password: 'a-long-password-1' } }, admin)).createUser;
  return { id: created.id, token: (await signIn(t.url, email, 'a-long-password-1')).accessToken };
};

const setMyConsents = async (person: Person, scopes: string[]): Promise<void> => {
  dataOf(await gql(t.url, `mutation($s: [ConsentScope!]!) { setMyConsents(scopes: $s) { id consents } }`, { s: scopes }, person.token));
};

const pollConsent = async (person: Person, scopes: string[]): Promise<void> => {
  const expected = JSON.stringify([...scopes].sort());
  const until = Date.now() + 10_000;
  for (;;) {
    const data = dataOf(await gql<{ impactConsent: { scopes: string[]; basis: string } | null }>(t.url, `query($p: ID!) { impactConsent(personId: $p) { scopes basis } }`, { p: person.id }, owner.token));
    if (data.impactConsent && JSON.stringify([...data.impactConsent.scopes].sort()) === expected && data.impactConsent.basis === 'IDENTITY') return;
    if (Date.now() > until) throw new Error(`impact did not mirror consent ${expected} of ${person.id}: ${JSON.stringify(data.impactConsent)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

const openRound = async (teamId: string): Promise<string> => {
  // The team is registered for pulses by impact's consumer of identity's team.created: wait for it.
  const until = Date.now() + 10_000;
  for (;;) {
    const result = await gql<{ openPulseRound: { id: string } }>(t.url, `mutation($t: ID!) { openPulseRound(teamId: $t) { id status } }`, { t: teamId }, owner.token);
    if (!result.body.errors) return dataOf(result).openPulseRound.id;
    if (codeOf(result) !== 'BAD_USER_INPUT' || Date.now() > until) throw new Error(JSON.stringify(result.body.errors));
    await new Promise((r) => setTimeout(r, 25));
  }
};

const submit = async (person: Person, teamId: string, score: number, comment?: string): Promise<string> =>
  dataOf(await gql<{ submitPulseResponse: { receiptCode: string } }>(t.url, `mutation($input: SubmitPulseResponseInput!) { submitPulseResponse(input: $input) { receiptCode roundId } }`, { input: { teamId, answers: answersFor(score), enps: 9, ...(comment ? { comment } : {}) } }, person.token)).submitPulseResponse.receiptCode;

const closeRound = async (roundId: string) =>
  dataOf(await gql<{ closePulseRound: { status: string; suppressed: boolean; result: { responseCount: number; safetyScore: number; comments: string[] } | null } }>(t.url, `mutation($id: ID!) { closePulseRound(id: $id) { status suppressed result { responseCount safetyScore comments } } }`, { id: roundId }, owner.token)).closePulseRound;

/** One round: open, every person answers their score, close. */
const runRound = async (teamId: string, people: Person[], scores: number[], comment?: string) => {
  const roundId = await openRound(teamId);
  const receipts: string[] = [];
  for (const [i, person] of people.entries()) receipts.push(await submit(person, teamId, scores[i], i === 0 ? comment : undefined));
  return { roundId, receipts, closed: await closeRound(roundId) };
};

const subscribe = async (token: string, query: string, variables: Record<string, unknown> = {}): Promise<Recording> => {
  const r = await record(ws, token, query, variables);
  open.push(r);
  return r;
};

const ALERTS = `subscription Alerts($severities: [SafetyAlertSeverity!], $teamId: ID) {
  safetyAlerts(severities: $severities, teamId: $teamId) {
    id severity status recommendedAction teamId
    team { id name manager { id name } }
    round { id result { responseCount safetyScore } }
    signals { kind severity value detail }
    provenance { method confidence explanation inputsDigest }
  }
}`;

interface AlertMessage {
  id: string;
  severity: string;
  status: string;
  recommendedAction: string;
  teamId: string;
  team: { id: string; name: string; manager: { id: string; name: string } | null };
  round: { id: string; result: { responseCount: number; safetyScore: number } | null };
  signals: Array<{ kind: string; severity: string; value: number; detail: string }>;
  provenance: { method: string; confidence: number; explanation: string; inputsDigest: string };
}

beforeAll(async () => {
  t = await startTestMesh();
  await waitHealthy(t.base);
  admin = (await signIn(t.url, t.adminEmail, t.adminPassword)).accessToken;
  ws = t.url.replace(/^http/, 'ws');
  orgId = dataOf(await gql<{ createOrganization: { id: string } }>(t.url, `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { id } }`, { input: { name: 'Impact Works' } }, admin)).createOrganization.id;
  owner = await newUser('owner@impact.test', 'Olive Owner', ['OWNER']);
  manager = await newUser('manager@impact.test', 'Mona Manager', ['MEMBER']);
  members = [];
  for (let i = 1; i <= 5; i++) members.push(await newUser(`m${i}@impact.test`, `Member ${i}`, ['MEMBER']));
  smallMembers = [];
  for (let i = 1; i <= 4; i++) smallMembers.push(await newUser(`s${i}@impact.test`, `Small ${i}`, ['MEMBER']));
  const createTeam = async (name: string, managerId: string, memberIds: string[]) =>
    dataOf(await gql<{ createTeam: { id: string } }>(t.url, `mutation($input: CreateTeamInput!) { createTeam(input: $input) { id } }`, { input: { name, managerId, memberIds } }, owner.token)).createTeam.id;
  bigTeamId = await createTeam('Platform Squad', manager.id, members.map((m) => m.id));
  smallTeamId = await createTeam('Tiny Guild', manager.id, smallMembers.map((m) => m.id));
  for (const person of [...members, ...smallMembers]) await setMyConsents(person, ['IMPACT_TRACKING', 'PASSION_ANALYSIS', 'ENRICHMENT', 'PULSE']);
  for (const person of [...members, ...smallMembers]) await pollConsent(person, ['IMPACT_TRACKING', 'PASSION_ANALYSIS', 'ENRICHMENT', 'PULSE']);
}, 90_000);

afterAll(async () => {
  for (const r of open) await r.dispose().catch(() => undefined);
  await t?.stop();
});

describe('impact measurement through the gateway', () => {
  it('records events and scores them with explained, digested, confident provenance', async () => {
    const [ada] = members;
    const RECORD = `mutation($input: RecordImpactEventInput!) { recordImpactEvent(input: $input) { id kind personId person { id name } provenance { method explanation inputsDigest } } }`;
    const recorded = dataOf(await gql<{ recordImpactEvent: { id: string; person: { name: string }; provenance: { method: string; explanation: string; inputsDigest: string } } }>(t.url, RECORD, { input: { kind: 'WORKFLOW_AUGMENTATION', personId: ada.id, teamId: bigTeamId, augmentation: { workflowId: 'wf-triage', minutesSaved: 480 } } }, owner.token)).recordImpactEvent;
    // The person comes from identity; the consent basis is identity's mirrored consent.
    expect(recorded.person.name).toBe('Member 1');
    expect(recorded.provenance.method).toBe('HUMAN');
    expect(recorded.provenance.explanation).toContain('consent basis IDENTITY (IMPACT_TRACKING)');
    dataOf(await gql(t.url, RECORD, { input: { kind: 'BUSINESS_OUTCOME', personId: ada.id, teamId: bigTeamId, outcome: { metric: 'tickets closed', baseline: 100, value: 150 } } }, owner.token));

    // Bad input: a field-level hint, a correlation id, HTTP 400, nothing written.
    const bad = await gql(t.url, RECORD, { input: { kind: 'CALENDAR_COVERAGE', personId: ada.id, calendar: { coveredMinutes: 90, totalMinutes: 60 } } }, owner.token);
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.calendar.coveredMinutes' });
    expect(bad.body.errors?.[0].extensions.correlationId).toBeTruthy();
    expect(bad.body.errors?.[0].extensions.hint).toBeTruthy();

    const score = dataOf(await gql<{ impactScore: { score: number; eventCount: number; confidence: number; components: Array<{ name: string; weight: number; effectiveWeight: number; value: number; contribution: number; eventCount: number }>; provenance: { method: string; explanation: string; confidence: number; inputsDigest: string } } }>(
      t.url,
      `query($p: ID!, $w: ImpactWindowInput!) { impactScore(subjectType: PERSON, subjectId: $p, window: $w) { score eventCount confidence components { name weight effectiveWeight value contribution eventCount } provenance { method explanation confidence inputsDigest } } }`,
      { p: ada.id, w: window() },
      owner.token,
    )).impactScore;
    // Hand-computed: augmentation 100(1 − e^−1) = 63.21 (w 0.25), outcomes 50 + 50·0.5 = 75 (w 0.3);
    // renormalized over 0.55: (0.25·63.21 + 0.3·75)/0.55 = 69.64; confidence (1 − e^−0.2)·0.55 = 0.1.
    expect(score.score).toBe(69.64);
    expect(score.eventCount).toBe(2);
    expect(score.confidence).toBe(0.1);
    expect(score.components.filter((c) => c.eventCount > 0).map((c) => [c.name, c.value, c.effectiveWeight])).toEqual([['AUGMENTATION', 63.21, 0.4545], ['OUTCOMES', 75, 0.5455]]);
    expect(score.provenance).toMatchObject({ method: 'STATISTICAL', confidence: 0.1 });
    expect(score.provenance.inputsDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(score.provenance.explanation).toContain('augmentation 0.25');
    expect(score.provenance.explanation).toContain('1 via identity');

    // The business lead's dashboard reflects it at once, with the team's lift and the outcome delta.
    const dash = dataOf(await gql<{ impactDashboard: { organization: { eventCount: number }; teamsByLift: Array<{ subjectId: string; score: number }>; outcomeDeltas: Array<{ metric: string; meanLift: number }>; provenance: { method: string } } }>(
      t.url,
      `query($w: ImpactWindowInput!) { impactDashboard(window: $w) { organization { eventCount } teamsByLift { subjectId score } outcomeDeltas { metric meanLift } provenance { method } } }`,
      { w: window() },
      owner.token,
    )).impactDashboard;
    expect(dash.organization.eventCount).toBe(2);
    expect(dash.teamsByLift).toEqual([{ subjectId: bigTeamId, score: 69.64 }]);
    expect(dash.outcomeDeltas).toEqual([{ metric: 'tickets closed', meanLift: 0.5 }]);
  });
});

describe('passions and matches through the gateway', () => {
  it('derives passions with authenticity, proposes explained matches and keeps the audit record in the chain', async () => {
    const [ada, ben] = members;
    const sam = smallMembers[0];
    const PROFILE = `mutation($input: UpdatePassionProfileInput!) { updatePassionProfile(input: $input) { id person { name } passions { topic authenticity sources demonstratedCount activeMonths explanation } provenance { method model confidence explanation } } }`;
    const month = (m: number) => `2026-0${m}-15T10:00:00.000Z`;
    // Ben (Ada's team) and Sam (the other team) declare their teams in their own profiles.
    dataOf(await gql(t.url, PROFILE, { input: { personId: ben.id, teamId: bigTeamId, interests: ['incident review'], skills: [], contributions: [] } }, owner.token));
    dataOf(await gql(t.url, PROFILE, { input: { personId: sam.id, teamId: smallTeamId, interests: ['incident review'], skills: [], contributions: [] } }, owner.token));
    const profile = dataOf(await gql<{ updatePassionProfile: { id: string; person: { name: string }; passions: Array<{ topic: string; authenticity: number; sources: string[] }>; provenance: { method: string; model: string; confidence: number; explanation: string } } }>(t.url, PROFILE, {
      input: {
        personId: ada.id,
        teamId: bigTeamId,
        interests: ['Incident Review', 'gardening'],
        skills: [{ name: 'incident review', tags: ['ABLE_TO_MENTOR'] }],
        contributions: [
          { topic: 'incident review', at: month(6), withPersonIds: [ben.id] },
          { topic: 'incident review', at: month(7), withPersonIds: [sam.id] },
          { topic: 'incident review', at: month(8) },
        ],
      },
    }, owner.token)).updatePassionProfile;
    expect(profile.person.name).toBe('Member 1');
    // 0.45(1 − e^−1) + 0.25·min(1, 3/3) + 0.3·min(1, 3/3) = 0.834 (declared, skill and demonstrated agree)
    expect(profile.passions.map((p) => [p.topic, p.authenticity, p.sources])).toEqual([['incident review', 0.834, ['INTEREST', 'SKILL', 'CONTRIBUTION']], ['gardening', 0.1, ['INTEREST']]]);
    expect(profile.provenance).toMatchObject({ method: 'RULE', confidence: 0.834 });
    expect(profile.provenance.explanation).toContain('consent basis IDENTITY (PASSION_ANALYSIS)');

    const community = dataOf(await gql<{ createPassionCommunity: { id: string } }>(t.url, `mutation($input: CreatePassionCommunityInput!) { createPassionCommunity(input: $input) { id } }`, { input: { name: 'Reliability Guild', kind: 'COMMUNITY', topics: ['incident review', 'chaos testing'] } }, owner.token)).createPassionCommunity;
    const proposal = dataOf(await gql<{ proposePassionMatches: { id: string; items: Array<{ rank: number; score: number; matchedTopics: string[]; explanation: string; community: { id: string; name: string } }>; provenance: { method: string; explanation: string } } }>(
      t.url,
      `mutation($p: ID!) { proposePassionMatches(personId: $p) { id items { rank score matchedTopics explanation community { id name } } provenance { method explanation } } }`,
      { p: ada.id },
      owner.token,
    )).proposePassionMatches;
    // 0.834 / 2 topics = 0.417
    expect(proposal.items).toEqual([{ rank: 1, score: 0.417, matchedTopics: ['incident review'], explanation: expect.stringContaining('1 of 2 topics'), community: { id: community.id, name: 'Reliability Guild' } }]);
    expect(proposal.provenance.explanation).toContain('consent basis IDENTITY (PASSION_ANALYSIS)');

    // The full audit record: governance chained the proposal's transaction (who, what, which document).
    let found: { action: string; actorId: string; changes: Array<{ collection: string; documentId: string; op: string; afterDigest: string }> } | undefined;
    const until = Date.now() + 10_000;
    while (!found && Date.now() < until) {
      const page = dataOf(await gql<{ auditRecords: { edges: Array<{ node: { action: string; actorId: string; changes: Array<{ collection: string; documentId: string; op: string; afterDigest: string }> } }> } }>(t.url, `{ auditRecords(first: 200) { edges { node { action actorId changes { collection documentId op afterDigest } } } } }`, {}, owner.token)).auditRecords;
      found = page.edges.map((e) => e.node).find((n) => n.action === 'impact.proposePassionMatches' && n.changes.some((c) => c.documentId === proposal.id));
      if (!found) await new Promise((r) => setTimeout(r, 50));
    }
    expect(found).toMatchObject({ actorId: owner.id, changes: [expect.objectContaining({ collection: 'match_proposals', documentId: proposal.id, op: 'insert' })] });
    expect(found?.changes[0].afterDigest).toMatch(/^[0-9a-f]{64}$/);

    // Cross-team champion: Ada carries incident review from her team (with Ben) to the other team (with Sam).
    const champions = dataOf(await gql<{ crossTeamChampions: unknown[] }>(t.url, `{ crossTeamChampions(skill: "Incident Review") { personId person { name } betweenness teamsBridged collaborators evidencePath evidence { from { name } to { name } crossesTeams sharedContributions lastContributionAt } provenance { method explanation } } }`, {}, owner.token)).crossTeamChampions;
    expect(champions).toEqual([
      {
        personId: ada.id,
        person: { name: 'Member 1' },
        betweenness: 1,
        teamsBridged: [bigTeamId, smallTeamId].sort(),
        collaborators: 2,
        evidencePath: [ben.id, ada.id, sam.id],
        // Each hop backed by the contribution they made together; names from identity.
        evidence: [
          { from: { name: 'Member 2' }, to: { name: 'Member 1' }, crossesTeams: false, sharedContributions: 1, lastContributionAt: month(6) },
          { from: { name: 'Member 1' }, to: { name: 'Small 1' }, crossesTeams: true, sharedContributions: 1, lastContributionAt: month(7) },
        ],
        provenance: { method: 'STATISTICAL', explanation: expect.stringContaining(`Evidence path ${ben.id} → ${ada.id} → ${sam.id}`) },
      },
    ]);
  });
});

describe('psychological safety through the gateway', () => {
  let urgent: Recording;
  let celebrations: Recording;
  let small: Recording;
  let lastRound: { roundId: string; receipts: string[] };

  it('keeps a team of 4 free of any aggregate on every path', async () => {
    small = await subscribe(owner.token, ALERTS, { teamId: smallTeamId });
    await runRound(smallTeamId, smallMembers, [6, 6, 6, 6]);
    await runRound(smallTeamId, smallMembers, [6, 6, 6, 6]);
    // A steep drop that would be URGENT for a larger team, with a comment.
    const last = await runRound(smallTeamId, smallMembers, [2, 2, 2, 2], 'I do not feel safe here');
    expect(last.closed).toEqual({ status: 'CLOSED', suppressed: true, result: null });

    const round = dataOf(await gql<{ pulseRound: unknown }>(t.url, `query($id: ID!) { pulseRound(id: $id) { status suppressed result { responseCount safetyScore comments } } }`, { id: last.roundId }, owner.token)).pulseRound;
    expect(round).toEqual({ status: 'CLOSED', suppressed: true, result: null });
    const rounds = dataOf(await gql<{ pulseRounds: Array<{ suppressed: boolean; result: unknown }> }>(t.url, `query($t: ID!) { pulseRounds(teamId: $t) { suppressed result { responseCount } } }`, { t: smallTeamId }, owner.token)).pulseRounds;
    expect(rounds).toEqual([{ suppressed: true, result: null }, { suppressed: true, result: null }, { suppressed: true, result: null }]);
    const safety = dataOf(await gql<{ teamSafety: unknown }>(t.url, `query($t: ID!) { teamSafety(teamId: $t) { team { name } points { suppressed safetyScore enps responseCount } baseline change signals { kind } forecast { nextScore } opportunities } }`, { t: smallTeamId }, owner.token)).teamSafety;
    const hiddenPoint = { suppressed: true, safetyScore: null, enps: null, responseCount: null };
    expect(safety).toEqual({ team: { name: 'Tiny Guild' }, points: [hiddenPoint, hiddenPoint, hiddenPoint], baseline: null, change: null, signals: [], forecast: null, opportunities: [] });
    const alerts = dataOf(await gql<{ safetyAlerts: { edges: unknown[] } }>(t.url, `query($t: ID) { safetyAlerts(teamId: $t) { edges { node { id } } } }`, { t: smallTeamId }, owner.token)).safetyAlerts;
    expect(alerts.edges).toEqual([]);
    const summary = dataOf(await gql<{ cultureSummary: { suppressed: boolean; safetyScore: number | null; responseCount: number | null; teams: Array<{ teamId: string; suppressed: boolean; safetyScore: number | null; responseCount: number | null }> } }>(
      t.url,
      `query($w: ImpactWindowInput!) { cultureSummary(window: $w) { suppressed safetyScore responseCount teams { teamId suppressed safetyScore responseCount } } }`,
      { w: window() },
      owner.token,
    )).cultureSummary;
    expect(summary).toEqual({ suppressed: true, safetyScore: null, responseCount: null, teams: [{ teamId: smallTeamId, suppressed: true, safetyScore: null, responseCount: null }] });
    // The respondent learns the answer was received and that the round was too small to publish.
    const status = dataOf(await gql<{ concernStatus: unknown }>(t.url, `query($c: String!) { concernStatus(receiptCode: $c) { received roundStatus published alertSeverity alertStatus actions } }`, { c: last.receipts[0] }, smallMembers[0].token)).concernStatus;
    expect(status).toEqual({ received: true, roundStatus: 'CLOSED', published: false, alertSeverity: null, alertStatus: null, actions: [] });
    // And no alert ever reached the socket subscribed to that team.
    await new Promise((r) => setTimeout(r, 300));
    expect(small.messages).toEqual([]);
  }, 60_000);

  it('raises an URGENT alert for a team of 5 trending down, on a subscribed socket with team and manager from identity', async () => {
    urgent = await subscribe(owner.token, ALERTS, { severities: ['URGENT'] });
    celebrations = await subscribe(owner.token, ALERTS, { severities: ['CELEBRATION'] });
    const r1 = await runRound(bigTeamId, members, [6, 6, 6, 6, 6]);
    expect(r1.closed.result).toEqual({ responseCount: 5, safetyScore: 6, comments: [] });
    await runRound(bigTeamId, members, [6, 6, 6, 6, 6]);
    // Baseline 6 over two rounds; this round 4.6: a drop of 1.4 ≥ the URGENT threshold 0.5.
    const r3 = await runRound(bigTeamId, members, [5, 5, 5, 4, 4], 'meetings feel tense');
    lastRound = r3;
    expect(r3.closed.result).toEqual({ responseCount: 5, safetyScore: 4.6, comments: ['meetings feel tense'] });

    await waitUntil(() => urgent.messages.length >= 1, 'URGENT alert on the socket');
    expect(urgent.messages[0].errors).toBeUndefined();
    const alert = (urgent.messages[0].data as { safetyAlerts: AlertMessage }).safetyAlerts;
    expect(alert).toMatchObject({
      severity: 'URGENT',
      status: 'RAISED',
      teamId: bigTeamId,
      // identity's fields, resolved by the gateway's planner on the refetch
      team: { id: bigTeamId, name: 'Platform Squad', manager: { id: manager.id, name: 'Mona Manager' } },
      round: { id: r3.roundId, result: { responseCount: 5, safetyScore: 4.6 } },
    });
    expect(alert.recommendedAction).toMatch(/48 hours/);
    expect(alert.signals.find((s) => s.kind === 'SCORE_DROP')).toMatchObject({ severity: 'URGENT', value: 1.4 });
    expect(alert.provenance.method).toBe('RULE');
    expect(alert.provenance.explanation).toContain('URGENT: SCORE_DROP');
    expect(alert.provenance.inputsDigest).toMatch(/^[0-9a-f]{64}$/);
    // 0.5 + 0.075 × 2 baseline rounds
    expect(alert.provenance.confidence).toBe(0.65);
    await new Promise((r) => setTimeout(r, 300));
    expect(urgent.messages).toHaveLength(1);
    expect(celebrations.messages).toEqual([]);
    expect(small.messages).toEqual([]);

    // The trend and the drift forecast with its uncertainty.
    const safety = dataOf(await gql<{ teamSafety: { points: Array<{ safetyScore: number }>; baseline: number; change: number; forecast: { nextScore: number; lower: number; upper: number; slope: number; pointsUsed: number; standardError: number; urgentThreshold: number; urgentDropProbability: number } } }>(
      t.url,
      `query($t: ID!) { teamSafety(teamId: $t) { points { safetyScore } baseline change forecast { nextScore lower upper slope pointsUsed standardError urgentThreshold urgentDropProbability } } }`,
      { t: bigTeamId },
      owner.token,
    )).teamSafety;
    expect(safety.points.map((p) => p.safetyScore)).toEqual([6, 6, 4.6]);
    expect(safety.baseline).toBe(6);
    expect(safety.change).toBe(-1.4);
    // OLS over (0,6) (1,6) (2,4.6): x̄ 1, ȳ 5.5333, Sxx 2, Sxy −1.4 → slope −0.7, intercept 6.2333,
    // prediction at 3: 4.133; SSE 0.3267 (1 df), se = √0.3267·√(1 + 1/3 + 4/2) = 1.0435; t(1) = 12.706,
    // so the 95% interval 4.133 ± 13.26 is clamped to the scale 1–7: honest about 3 points.
    expect(safety.forecast).toMatchObject({ slope: -0.7, pointsUsed: 3, nextScore: 4.133, standardError: 1.0435 });
    // Drift risk: the next round is URGENT below (6 + 6 + 4.6)/3 − 0.5 = 5.033; with 1 degree of freedom
    // (Cauchy) P = 1/2 + atan((5.033 − 4.133)/1.0435)/π = 0.727.
    expect(safety.forecast).toMatchObject({ urgentThreshold: 5.033, urgentDropProbability: 0.727 });
    expect(safety.forecast.lower).toBe(1);
    expect(safety.forecast.upper).toBe(7);
  }, 60_000);

  it('lets the team see its concern was received, heard and acted upon, without revealing who said what', async () => {
    const alertId = (urgent.messages[0].data as { safetyAlerts: AlertMessage }).safetyAlerts.id;
    const STATUS = `query($c: String!) { concernStatus(receiptCode: $c) { received roundStatus published alertSeverity alertStatus actions } }`;
    const before = dataOf(await gql<{ concernStatus: unknown }>(t.url, STATUS, { c: lastRound.receipts[3] }, members[3].token)).concernStatus;
    expect(before).toEqual({ received: true, roundStatus: 'CLOSED', published: true, alertSeverity: 'URGENT', alertStatus: 'RAISED', actions: [] });
    // Handled by the team's manager (a MEMBER by role, the manager by identity's team), not by any member.
    const notTheManager = await gql(t.url, `mutation($id: ID!) { acknowledgeSafetyAlert(id: $id) { status } }`, { id: alertId }, members[1].token);
    expect(notTheManager.status).toBe(403);
    expect(notTheManager.body.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', hint: expect.stringContaining('manager') });
    expect(dataOf(await gql<{ acknowledgeSafetyAlert: { status: string } }>(t.url, `mutation($id: ID!) { acknowledgeSafetyAlert(id: $id) { status acknowledgedAt } }`, { id: alertId }, manager.token)).acknowledgeSafetyAlert.status).toBe('ACKNOWLEDGED');
    const heard = dataOf(await gql<{ concernStatus: unknown }>(t.url, STATUS, { c: lastRound.receipts[2] }, members[2].token)).concernStatus;
    expect(heard).toMatchObject({ alertStatus: 'ACKNOWLEDGED', actions: [] });
    const acted = dataOf(await gql<{ recordAlertAction: { status: string; actions: Array<{ note: string; provenance: { method: string } }> } }>(t.url, `mutation($input: RecordAlertActionInput!) { recordAlertAction(input: $input) { status actions { note provenance { method } } } }`, { input: { alertId, note: 'Blameless retro held; meeting rotation agreed' } }, manager.token)).recordAlertAction;
    expect(acted).toEqual({ status: 'ACTED', actions: [{ note: 'Blameless retro held; meeting rotation agreed', provenance: { method: 'HUMAN' } }] });
    const after = dataOf(await gql<{ concernStatus: unknown }>(t.url, STATUS, { c: lastRound.receipts[0] }, members[0].token)).concernStatus;
    expect(after).toEqual({ received: true, roundStatus: 'CLOSED', published: true, alertSeverity: 'URGENT', alertStatus: 'ACTED', actions: ['Blameless retro held; meeting rotation agreed'] });
    const when = dataOf(await gql<{ concernStatus: { acknowledgedAt: string; lastActionAt: string } }>(t.url, `query($c: String!) { concernStatus(receiptCode: $c) { acknowledgedAt lastActionAt } }`, { c: lastRound.receipts[4] }, members[4].token)).concernStatus;
    // Heard first, then acted upon.
    expect(when.acknowledgedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(Date.parse(when.acknowledgedAt)).toBeLessThanOrEqual(Date.parse(when.lastActionAt));
    // A receipt code is not a person: a forged one is simply unknown.
    expect(codeOf(await gql(t.url, STATUS, { c: `${lastRound.roundId}.forged` }, members[0].token))).toBe('NOT_FOUND');
    // Nobody, the owner and the platform admin included, can read who answered: the API has no such field,
    // and a second answer from the same person to a closed round is refused.
    expect(codeOf(await gql(t.url, `mutation($input: SubmitPulseResponseInput!) { submitPulseResponse(input: $input) { receiptCode } }`, { input: { teamId: bigTeamId, answers: answersFor(5), enps: 9 } }, members[0].token))).toBe('BAD_USER_INPUT');
  });
});

describe('small groups in organization-wide views', () => {
  it("keeps the team of 4's answers out of every total and its participation off the timeline", async () => {
    const summary = dataOf(await gql<{ cultureSummary: { suppressed: boolean; responseCount: number; safetyScore: number; teams: Array<{ teamId: string; suppressed: boolean; responseCount: number | null; safetyScore: number | null }> } }>(
      t.url,
      `query($w: ImpactWindowInput!) { cultureSummary(window: $w) { suppressed responseCount safetyScore teams { teamId suppressed responseCount safetyScore } } }`,
      { w: window() },
      owner.token,
    )).cultureSummary;
    // Three published rounds of 5 (scores 6, 6, 4.6): 15 answers, mean (30 + 30 + 23)/15 = 5.533.
    // The 12 answers of the team of 4 are in no number.
    expect(summary.suppressed).toBe(false);
    expect(summary.responseCount).toBe(15);
    expect(summary.safetyScore).toBe(5.533);
    expect(summary.teams.find((row) => row.teamId === bigTeamId)).toEqual({ teamId: bigTeamId, suppressed: false, responseCount: 15, safetyScore: 5.533 });
    expect(summary.teams.find((row) => row.teamId === smallTeamId)).toEqual({ teamId: smallTeamId, suppressed: true, responseCount: null, safetyScore: null });
    // The org-wide timeline (every role reads culture_events) shows rounds opening and closing, never answers.
    // (The timeline read model consumes the bus asynchronously: wait, bounded, until it holds the 6 rounds.)
    let kinds: string[] = [];
    const until = Date.now() + 10_000;
    do {
      kinds = dataOf(await gql<{ timeline: { edges: Array<{ node: { kind: string } }> } }>(t.url, `{ timeline(first: 200) { edges { node { kind } } } }`, {}, owner.token)).timeline.edges.map((e) => e.node.kind);
    } while (kinds.filter((k) => k === 'pulse.round.closed').length < 6 && Date.now() < until);
    expect(kinds.filter((k) => k === 'pulse.round.opened')).toHaveLength(6);
    expect(kinds.filter((k) => k === 'pulse.round.closed')).toHaveLength(6);
    expect(kinds.filter((k) => k.startsWith('pulse.response'))).toEqual([]);
  });
});

describe('consent withdrawal through identity', () => {
  it('removes the person from future computations of every engine', async () => {
    const eve = members[4];
    const RECORD = `mutation($input: RecordImpactEventInput!) { recordImpactEvent(input: $input) { id } }`;
    dataOf(await gql(t.url, RECORD, { input: { kind: 'INTERACTION_DEPTH', personId: eve.id, teamId: bigTeamId, interaction: { turns: 20 } } }, owner.token));
    const SCORE = `query($w: ImpactWindowInput!) { impactScore(subjectType: TEAM, subjectId: "${bigTeamId}", window: $w) { eventCount provenance { explanation } } }`;
    const before = dataOf(await gql<{ impactScore: { eventCount: number; provenance: { explanation: string } } }>(t.url, SCORE, { w: window() }, owner.token)).impactScore;
    expect(before.eventCount).toBe(3);
    dataOf(await gql(t.url, `mutation($input: UpdatePassionProfileInput!) { updatePassionProfile(input: $input) { id } }`, { input: { personId: eve.id, teamId: bigTeamId, interests: ['incident review'], skills: [], contributions: [] } }, owner.token));

    // Eve withdraws everything in identity; impact mirrors it.
    await setMyConsents(eve, []);
    await pollConsent(eve, []);
    const after = dataOf(await gql<{ impactScore: { eventCount: number; provenance: { explanation: string } } }>(t.url, SCORE, { w: window() }, owner.token)).impactScore;
    expect(after.eventCount).toBe(2);
    expect(after.provenance.explanation).toContain('1 without consent skipped');
    const refused = await gql(t.url, RECORD, { input: { kind: 'INTERACTION_DEPTH', personId: eve.id, interaction: { turns: 3 } } }, owner.token);
    expect(refused.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.personId' });
    expect(dataOf(await gql<{ passionProfile: unknown }>(t.url, `query($p: ID!) { passionProfile(personId: $p) { id } }`, { p: eve.id }, owner.token)).passionProfile).toBeNull();
    expect(codeOf(await gql(t.url, `mutation($p: ID!) { proposePassionMatches(personId: $p) { id } }`, { p: eve.id }, owner.token))).toBe('BAD_USER_INPUT');
    const enriched = dataOf(await gql<{ enrich: { personalized: boolean; fragments: unknown[]; provenance: { explanation: string } } }>(t.url, `query($input: EnrichInput!) { enrich(input: $input) { personalized fragments { topic } provenance { explanation } } }`, { input: { personId: eve.id, content: 'Draft the incident review' } }, owner.token)).enrich;
    expect(enriched).toMatchObject({ personalized: false, fragments: [] });
    expect(enriched.provenance.explanation).toContain('not consented');
    // Pulses: her next answer is refused (answers already tallied hold nothing that could be removed).
    const roundId = await openRound(bigTeamId);
    const pulse = await gql(t.url, `mutation($input: SubmitPulseResponseInput!) { submitPulseResponse(input: $input) { receiptCode } }`, { input: { teamId: bigTeamId, answers: answersFor(5), enps: 9 } }, eve.token);
    expect(codeOf(pulse)).toBe('FORBIDDEN');
    expect(pulse.body.errors?.[0].extensions.hint).toMatch(/PULSE/);
    await closeRound(roundId);
  });
});

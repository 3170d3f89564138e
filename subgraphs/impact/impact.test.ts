import { principalFor, createTestSubgraph, type TestSubgraph } from '../../platform/testing/harness.ts';
import { systemScope } from '../../platform/context.ts';
import { newId } from '../../platform/ids.ts';
import { createImpactSubgraph } from './index.ts';
import { pulseRounds, pulseTeams } from './store.ts';

const A = 'tenant-a-impact';
const B = 'tenant-b-impact';
const adminA = principalFor(A, ['ADMIN']);
const adminB = principalFor(B, ['ADMIN']);
const viewerA = principalFor(A, ['VIEWER']);
const DAY = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString();

let sg: TestSubgraph;
beforeAll(async () => {
  sg = await createTestSubgraph('impact', createImpactSubgraph);
});
afterAll(async () => {
  await sg.close();
});

type Result = Awaited<ReturnType<TestSubgraph['run']>>;
const ok = (result: Result): Record<string, unknown> => {
  if (result.errors?.length) throw new Error(JSON.stringify(result.errors));
  return result.data as Record<string, unknown>;
};
const errorOf = (result: Result) => result.errors?.[0]?.extensions as { code: string; field?: string } | undefined;

const RECORD = `mutation($input: RecordImpactEventInput!) { recordImpactEvent(input: $input) { id kind personId teamId solutionId minutesSaved sourceId provenance { method explanation inputsDigest } } }`;
const CONSENT = `mutation($input: SetImpactConsentInput!) { setImpactConsent(input: $input) { id personId scopes basis } }`;
const consent = (personId: string, principal = adminA, scopes = ['IMPACT_TRACKING']) => sg.run(CONSENT, { input: { personId, scopes } }, principal);
const record = (input: Record<string, unknown>, principal = adminA) => sg.run(RECORD, { input }, principal);

describe('impact measurement', () => {
  const p1 = newId();
  const p2 = newId();
  const now = Date.now();

  it('refuses events of people without consent, naming the field', async () => {
    const result = await record({ kind: 'WORKFLOW_AUGMENTATION', personId: p1, augmentation: { workflowId: 'wf', minutesSaved: 10 } });
    expect(errorOf(result)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.personId' });
  });

  it('records events with field-level validation and commits the event', async () => {
    ok(await consent(p1));
    ok(await consent(p2));
    const bad = await record({ kind: 'CALENDAR_COVERAGE', personId: p1, calendar: { coveredMinutes: 90, totalMinutes: 60 } });
    expect(errorOf(bad)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.calendar.coveredMinutes' });
    const data = ok(await record({ kind: 'WORKFLOW_AUGMENTATION', personId: p1, teamId: 'team-1', augmentation: { workflowId: 'wf', minutesSaved: 480 } }));
    const event = data.recordImpactEvent as { id: string; provenance: { method: string; explanation: string } };
    expect(event.provenance.method).toBe('HUMAN');
    expect(event.provenance.explanation).toContain('consent basis LOCAL');
    await sg.flush();
    const events = await sg.deps.store.outbox.since(systemScope(A, 'test'), null, ['impact_events'], 50);
    expect(events.some((e) => e.type === 'impact.event.recorded' && e.subject.id === event.id)).toBe(true);
    // Queryable at once.
    const read = ok(await sg.run(`query($id: ID!) { impactEvent(id: $id) { id minutesSaved person { id } } }`, { id: event.id }, adminA));
    expect(read.impactEvent).toEqual({ id: event.id, minutesSaved: 480, person: { id: p1 } });
  });

  it('scores a person with components, weights and trend against the previous window', async () => {
    ok(await record({ kind: 'BUSINESS_OUTCOME', personId: p1, teamId: 'team-1', outcome: { metric: 'cycle time', baseline: 100, value: 150 } }));
    // Previous window: one outcome with no change (score 50).
    ok(await record({ kind: 'BUSINESS_OUTCOME', personId: p1, teamId: 'team-1', occurredAt: iso(now - 10 * DAY), outcome: { metric: 'cycle time', baseline: 100, value: 100 } }));
    const window = { from: iso(now - 7 * DAY), to: iso(now + 60 * 60_000) };
    const data = ok(await sg.run(`query($w: ImpactWindowInput!, $id: ID!) { impactScore(subjectType: PERSON, subjectId: $id, window: $w) { score previousScore trend confidence eventCount components { name weight effectiveWeight value contribution eventCount provenance { method } } provenance { method explanation confidence inputsDigest } } }`, { w: window, id: p1 }, adminA));
    const score = data.impactScore as { score: number; previousScore: number; trend: number; eventCount: number; components: Array<{ name: string; value: number; eventCount: number }>; provenance: { method: string; explanation: string; confidence: number; inputsDigest: string } };
    expect(score.score).toBe(69.64); // hand-computed in the domain test
    expect(score.previousScore).toBe(50);
    expect(score.trend).toBe(19.64);
    expect(score.eventCount).toBe(2);
    expect(score.components.find((c) => c.name === 'AUGMENTATION')).toMatchObject({ value: 63.21, eventCount: 1 });
    expect(score.provenance.method).toBe('STATISTICAL');
    expect(score.provenance.explanation).toContain('outcomes 0.3');
    expect(score.provenance.explanation).toContain('1 local');
    expect(score.provenance.inputsDigest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('computes solution virality from the adoption graph', async () => {
    const [a, b, c, d] = [newId(), newId(), newId(), newId()];
    for (const p of [a, b, c, d]) ok(await consent(p));
    const adopt = (personId: string, teamId: string, sourceId: string | null, offset: number) =>
      record({ kind: 'SOLUTION_ADOPTION', personId, teamId, occurredAt: iso(now - offset * 60_000), adoption: { solutionId: 'sol-1', adopterId: personId, ...(sourceId ? { sourceId } : {}) } });
    ok(await adopt(a, 'T1', null, 40));
    ok(await adopt(b, 'T1', a, 30));
    ok(await adopt(c, 'T2', a, 20));
    ok(await adopt(d, 'T3', c, 10));
    const window = { from: iso(now - DAY), to: iso(now + 60 * 60_000) };
    const data = ok(await sg.run(`query($w: ImpactWindowInput!) { solutionVirality(solutionId: "sol-1", window: $w) { adopters teamsReached generations reproductionNumber crossTeamShare teamsPerGeneration score provenance { method explanation } } }`, { w: window }, adminA));
    expect(data.solutionVirality).toMatchObject({ adopters: 4, teamsReached: 3, generations: 2, reproductionNumber: 0.75, crossTeamShare: 0.667, teamsPerGeneration: 1, score: 51.74 });
    const solution = ok(await sg.run(`query($w: ImpactWindowInput!) { impactScore(subjectType: SOLUTION, subjectId: "sol-1", window: $w) { score components { name value } } }`, { w: window }, adminA));
    expect((solution.impactScore as { score: number }).score).toBe(51.74);

    // Withdrawing C's consent removes C from future computations: D's source becomes unknown.
    ok(await consent(c, adminA, []));
    const after = ok(await sg.run(`query($w: ImpactWindowInput!) { solutionVirality(solutionId: "sol-1", window: $w) { adopters generations provenance { explanation } } }`, { w: window }, adminA));
    expect(after.solutionVirality).toMatchObject({ adopters: 3, generations: 1 });
    expect((after.solutionVirality as { provenance: { explanation: string } }).provenance.explanation).toContain('1 without consent skipped');
  });

  it('serves the dashboard and the organization summary', async () => {
    const window = { from: iso(now - 7 * DAY), to: iso(now + 60 * 60_000) };
    const data = ok(await sg.run(`query($w: ImpactWindowInput!) { impactDashboard(window: $w) { confidence organization { score eventCount } topSolutions { solutionId virality { score } impact { score } provenance { method } } teamsByLift { subjectId trend } outcomeDeltas { metric events meanBaseline meanValue meanLift } provenance { method } } }`, { w: window }, adminA));
    const dash = data.impactDashboard as { topSolutions: Array<{ solutionId: string }>; teamsByLift: Array<{ subjectId: string; trend: number | null }>; outcomeDeltas: unknown[]; organization: { eventCount: number } };
    expect(dash.topSolutions.map((s) => s.solutionId)).toEqual(['sol-1']);
    expect(dash.teamsByLift[0]).toEqual({ subjectId: 'team-1', trend: 19.64 });
    expect(dash.outcomeDeltas).toEqual([{ metric: 'cycle time', events: 1, meanBaseline: 100, meanValue: 150, meanLift: 0.5 }]);
    // Scoped to team-1: only its events (augmentation 480 min + one outcome +50%, hand-computed 69.64 in
    // the scoring test; the previous window's flat outcome gives 50); sol-1 was adopted on T1–T3, not here.
    const scoped = ok(await sg.run(`query($w: ImpactWindowInput!, $s: ImpactDashboardScopeInput) { impactDashboard(window: $w, scope: $s) { scopeTeamIds organization { score previousScore eventCount } topSolutions { solutionId } teamsByLift { subjectId score trend } provenance { explanation } } }`, { w: window, s: { teamIds: ['team-1', 'team-1'] } }, adminA));
    expect(scoped.impactDashboard).toEqual({
      scopeTeamIds: ['team-1'],
      organization: { score: 69.64, previousScore: 50, eventCount: 2 },
      topSolutions: [],
      teamsByLift: [{ subjectId: 'team-1', score: 69.64, trend: 19.64 }],
      provenance: { explanation: expect.stringContaining('of 1 scoped teams') },
    });
    expect((ok(await sg.run(`query($w: ImpactWindowInput!) { impactDashboard(window: $w) { scopeTeamIds } }`, { w: window }, adminA)).impactDashboard as { scopeTeamIds: string[] }).scopeTeamIds).toEqual([]);
    expect(errorOf(await sg.run(`query($w: ImpactWindowInput!) { impactDashboard(window: $w, scope: { teamIds: [] }) { confidence } }`, { w: window }, adminA))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'scope.teamIds' });
    const summary = ok(await sg.run(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Organization { id impactSummary { score eventCount provenance { method } } } } }`, { r: [{ __typename: 'Organization', id: A }, { __typename: 'Organization', id: B }] }, adminA));
    const entities = summary._entities as Array<{ id: string; impactSummary: { eventCount: number } | null }>;
    expect(entities[0].impactSummary?.eventCount).toBeGreaterThan(0);
    expect(entities[1].impactSummary).toBeNull();
  });

  it('resolves several ImpactEvent representations and isolates tenants', async () => {
    const page = ok(await sg.run(`{ impactEvents(first: 3, filter: { personId: "${p1}" }) { totalCount edges { node { id } } pageInfo { hasNextPage } } }`, {}, adminA));
    const ids = (page.impactEvents as { edges: Array<{ node: { id: string } }> }).edges.map((e) => e.node.id);
    expect(ids.length).toBe(3);
    const entities = ok(await sg.run(`query($r: [_Any!]!) { _entities(representations: $r) { ... on ImpactEvent { id personId } } }`, { r: ids.map((id) => ({ __typename: 'ImpactEvent', id })) }, adminA));
    expect((entities._entities as Array<{ id: string }>).map((e) => e.id)).toEqual(ids);
    const other = ok(await sg.run(`query($id: ID!) { impactEvent(id: $id) { id } }`, { id: ids[0] }, adminB));
    expect(other.impactEvent).toBeNull();
    const otherEntities = ok(await sg.run(`query($r: [_Any!]!) { _entities(representations: $r) { ... on ImpactEvent { id } } }`, { r: [{ __typename: 'ImpactEvent', id: ids[0] }] }, adminB));
    expect(otherEntities._entities).toEqual([null]);
  });

  it('enforces authorization', async () => {
    const input = { kind: 'INTERACTION_DEPTH', personId: p1, interaction: { turns: 4 } };
    expect(errorOf(await record(input, viewerA))?.code).toBe('FORBIDDEN');
    expect(errorOf(await sg.run(RECORD, { input }, null))?.code).toBe('UNAUTHENTICATED');
  });

  it('mirrors consent from identity events', async () => {
    const person = newId();
    await sg.deps.store.transaction(systemScope(A, 'test'), { action: 'identity.setMyConsents', actor: { id: person, kind: 'user' }, correlationId: newId() }, (tx) => {
      tx.emit({ type: 'user.consent_changed', topic: 'client_events', subject: { typename: 'User', id: person }, payload: { consents: ['IMPACT_TRACKING', 'PULSE'], withdrawn: [] } }, sg.deps.provenance.build({ method: 'HUMAN', inputs: {}, explanation: 'test' }, 'test'));
    });
    await sg.flush();
    const data = ok(await sg.run(`query($id: ID!) { impactConsent(personId: $id) { personId scopes basis provenance { method } } }`, { id: person }, adminA));
    expect(data.impactConsent).toEqual({ personId: person, scopes: ['IMPACT_TRACKING', 'PULSE'], basis: 'IDENTITY', provenance: { method: 'IMPORT' } });
    const recorded = ok(await record({ kind: 'INTERACTION_DEPTH', personId: person, interaction: { turns: 20 } }));
    expect((recorded.recordImpactEvent as { provenance: { explanation: string } }).provenance.explanation).toContain('consent basis IDENTITY');
  });

  it('follows team.updated from identity: the new manager and member count replace the old', async () => {
    const team = newId();
    const [m1, m2] = [newId(), newId()];
    const emit = async (type: string, payload: Record<string, unknown>) => {
      await sg.deps.store.transaction(systemScope(A, 'test'), { action: `identity.${type}`, actor: { id: 'admin', kind: 'user' }, correlationId: newId() }, (tx) => {
        tx.emit({ type, topic: 'org_events', subject: { typename: 'Team', id: team }, payload }, sg.deps.provenance.build({ method: 'HUMAN', inputs: {}, explanation: 'test' }, 'test'));
      });
      await sg.flush();
    };
    await emit('team.created', { name: 'Ops', managerId: m1, memberIds: ['a', 'b', 'c', 'd', 'e', 'f'], memberCount: 6 });
    const scope = systemScope(A, 'test');
    expect(await sg.deps.store.collection(pulseTeams).get(scope, team)).toMatchObject({ memberCount: 6, managerId: m1 });
    await emit('team.updated', { name: 'Ops', managerId: m2, memberIds: ['a', 'b', 'c'], memberCount: 3 });
    expect(await sg.deps.store.collection(pulseTeams).get(scope, team)).toMatchObject({ memberCount: 3, managerId: m2 });
    await emit('team.updated', { name: 'Ops', managerId: null, memberIds: [], memberCount: 0 });
    expect(await sg.deps.store.collection(pulseTeams).get(scope, team)).toMatchObject({ memberCount: 0, managerId: null });
  });
});

const REGISTER = `mutation($input: RegisterPulseTeamInput!) { registerPulseTeam(input: $input) { id memberCount team { id } } }`;
const OPEN = `mutation($t: ID!) { openPulseRound(teamId: $t) { id status } }`;
const CLOSE = `mutation($id: ID!) { closePulseRound(id: $id) { id status suppressed result { responseCount safetyScore itemMeans enps participationRate comments provenance { method explanation } } } }`;
const SUBMIT = `mutation($input: SubmitPulseResponseInput!) { submitPulseResponse(input: $input) { receiptCode roundId teamId provenance { method } } }`;

/** Answers whose safety score is `score` (all scored items equal): items 1, 3, 5 reversed. */
const answersFor = (score: number): number[] => [8 - score, score, 8 - score, score, 8 - score, score, score];

/** A member who consented to PULSE (recorded by the tenant's admin). */
const respondent = async (tenant = A) => {
  const member = principalFor(tenant, ['MEMBER']);
  ok(await consent(member.subject, tenant === A ? adminA : adminB, ['PULSE']));
  return member;
};

const runRound = async (teamId: string, scores: number[], tenant = A, comment?: string): Promise<{ roundId: string; receipts: string[]; close: Record<string, unknown> }> => {
  const admin = tenant === A ? adminA : adminB;
  const roundId = ((ok(await sg.run(OPEN, { t: teamId }, admin)).openPulseRound) as { id: string }).id;
  const receipts: string[] = [];
  for (const [i, score] of scores.entries()) {
    const data = ok(await sg.run(SUBMIT, { input: { teamId, answers: answersFor(score), enps: 9, ...(comment && i === 0 ? { comment } : {}) } }, await respondent(tenant)));
    receipts.push((data.submitPulseResponse as { receiptCode: string }).receiptCode);
  }
  const close = ok(await sg.run(CLOSE, { id: roundId }, admin)).closePulseRound as Record<string, unknown>;
  return { roundId, receipts, close };
};

describe('psychological safety culture engine', () => {
  it('keeps a team of 4 entirely private', async () => {
    ok(await sg.run(REGISTER, { input: { teamId: 'small-team', memberCount: 4 } }, adminA));
    const { roundId, close } = await runRound('small-team', [6, 6, 6, 6]);
    expect(close).toMatchObject({ status: 'CLOSED', suppressed: true, result: null });
    const safety = ok(await sg.run(`{ teamSafety(teamId: "small-team") { points { suppressed safetyScore responseCount } baseline signals { kind } forecast { nextScore } } }`, {}, adminA));
    expect(safety.teamSafety).toEqual({ points: [{ suppressed: true, safetyScore: null, responseCount: null }], baseline: null, signals: [], forecast: null });
    const round = ok(await sg.run(`query($id: ID!) { pulseRound(id: $id) { result { safetyScore } suppressed } }`, { id: roundId }, adminA));
    expect(round.pulseRound).toEqual({ result: null, suppressed: true });
    const alerts = ok(await sg.run(`{ safetyAlerts(teamId: "small-team") { edges { node { id } } } }`, {}, adminA));
    expect((alerts.safetyAlerts as { edges: unknown[] }).edges).toEqual([]);
  });

  it('stores no person with a response and answers once per person per round', async () => {
    ok(await sg.run(REGISTER, { input: { teamId: 'dedupe-team', memberCount: 8 } }, adminA));
    const roundId = ((ok(await sg.run(OPEN, { t: 'dedupe-team' }, adminA)).openPulseRound) as { id: string }).id;
    const member = principalFor(A, ['MEMBER']);
    // Without PULSE consent the answer is refused and nothing is written.
    expect(errorOf(await sg.run(SUBMIT, { input: { teamId: 'dedupe-team', answers: answersFor(5), enps: 8 } }, member))?.code).toBe('FORBIDDEN');
    expect((await sg.deps.store.collection(pulseRounds).get(systemScope(A, 'test'), roundId))?.tally.n).toBe(0);
    // A member cannot grant consent on someone else's behalf; the person can, and so can an admin.
    expect(errorOf(await consent(member.subject, principalFor(A, ['MEMBER'])))?.code).toBe('FORBIDDEN');
    ok(await consent(member.subject, member, ['PULSE']));
    const receipt = ok(await sg.run(SUBMIT, { input: { teamId: 'dedupe-team', answers: answersFor(5), enps: 8, comment: 'we need more retros' } }, member));
    expect((receipt.submitPulseResponse as { provenance: { method: string } }).provenance.method).toBe('HUMAN');
    expect(errorOf(await sg.run(SUBMIT, { input: { teamId: 'dedupe-team', answers: answersFor(5), enps: 8 } }, member))?.code).toBe('ALREADY_EXISTS');
    expect(errorOf(await sg.run(SUBMIT, { input: { teamId: 'dedupe-team', answers: [1, 2, 3], enps: 8 } }, member))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.answers' });
    expect(errorOf(await sg.run(SUBMIT, { input: { teamId: 'dedupe-team', answers: answersFor(5), enps: 8 } }, principalFor(A, ['MEMBER'], { kind: 'app' })))?.code).toBe('FORBIDDEN');
    expect(errorOf(await sg.run(SUBMIT, { input: { teamId: 'no-round-team', answers: answersFor(5), enps: 8 } }, member))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.teamId' });
    const stored = await sg.deps.store.collection(pulseRounds).get(systemScope(A, 'test'), roundId);
    expect(JSON.stringify(stored)).not.toContain(member.subject);
    expect(stored?.tally.n).toBe(1);
    await sg.flush();
    const audit = await sg.deps.store.outbox.since(systemScope(A, 'test'), null, ['audit_events', 'culture_events'], 500);
    const submits = audit.filter((e) => (e.payload as { action?: string }).action === 'impact.submitPulseResponse');
    expect(submits.length).toBeGreaterThan(0);
    // No per-response event reaches the (org-wide) timeline topics: counting them would reveal participation.
    expect(audit.filter((e) => e.topic === 'culture_events' && e.subject.id === roundId).map((e) => e.type)).toEqual(['pulse.round.opened']);
    for (const event of submits) {
      expect(event.actor.id).toBe('anonymous-respondent');
      expect(JSON.stringify(event)).not.toContain(member.subject);
    }
  });

  it('raises an URGENT alert for a team of 5 trending down, heard and acted upon', async () => {
    ok(await sg.run(REGISTER, { input: { teamId: 'team-down', memberCount: 6 } }, adminA));
    await runRound('team-down', [6, 6, 6, 6, 6]);
    await runRound('team-down', [6, 6, 6, 6, 6]);
    const third = await runRound('team-down', [6, 6, 6, 5, 5], A, 'meetings feel tense');
    expect(third.close).toMatchObject({ suppressed: false, result: { responseCount: 5, safetyScore: 5.6, enps: 100, participationRate: 0.833, comments: ['meetings feel tense'] } });
    const last = await runRound('team-down', [5, 5, 5, 4, 4]);
    // baseline (6 + 6 + 5.6) / 3 = 5.867; latest 4.6 → drop 1.267 ≥ 0.5 → URGENT
    const list = ok(await sg.run(`{ safetyAlerts(teamId: "team-down", severities: [URGENT]) { edges { node { id severity status recommendedAction team { id } round { id } signals { kind value provenance { method } } provenance { method explanation confidence } } } } }`, {}, adminA));
    const edges = (list.safetyAlerts as { edges: Array<{ node: { id: string; severity: string; status: string; team: { id: string }; round: { id: string }; signals: Array<{ kind: string; value: number }>; provenance: { method: string; explanation: string } } }> }).edges;
    expect(edges).toHaveLength(1);
    const alert = edges[0].node;
    expect(alert).toMatchObject({ severity: 'URGENT', status: 'RAISED', team: { id: 'team-down' }, round: { id: last.roundId } });
    expect(alert.signals.find((s) => s.kind === 'SCORE_DROP')?.value).toBe(1.267);
    expect(alert.provenance.method).toBe('RULE');
    await sg.flush();
    const events = await sg.deps.store.outbox.since(systemScope(A, 'test'), null, ['safety_alert_events'], 50);
    expect(events.find((e) => e.subject.id === alert.id)).toMatchObject({ type: 'safety.alert.raised', subject: { typename: 'SafetyAlert', id: alert.id } });

    const safety = ok(await sg.run(`{ teamSafety(teamId: "team-down", periods: 6) { points { safetyScore } baseline change signals { kind severity } forecast { nextScore standardError lower upper slope pointsUsed provenance { method explanation } } opportunities provenance { method } } }`, {}, adminA));
    const ts = safety.teamSafety as { points: Array<{ safetyScore: number }>; baseline: number; change: number; forecast: { slope: number; pointsUsed: number; lower: number; upper: number; nextScore: number } };
    expect(ts.points.map((p) => p.safetyScore)).toEqual([6, 6, 5.6, 4.6]);
    expect(ts.baseline).toBe(5.867);
    expect(ts.change).toBe(-1.267);
    // OLS over (0,6) (1,6) (2,5.6) (3,4.6): slope −0.46
    expect(ts.forecast.slope).toBe(-0.46);
    expect(ts.forecast.pointsUsed).toBe(4);
    expect(ts.forecast.lower).toBeLessThan(ts.forecast.nextScore);
    expect(ts.forecast.upper).toBeGreaterThan(ts.forecast.nextScore);

    // The respondent sees that the concern was received, then acted upon.
    const before = ok(await sg.run(`query($c: String!) { concernStatus(receiptCode: $c) { received roundStatus published alertSeverity alertStatus actions acknowledgedAt lastActionAt } }`, { c: last.receipts[0] }, principalFor(A, ['MEMBER'])));
    expect(before.concernStatus).toEqual({ received: true, roundStatus: 'CLOSED', published: true, alertSeverity: 'URGENT', alertStatus: 'RAISED', actions: [], acknowledgedAt: null, lastActionAt: null });
    expect(errorOf(await sg.run(`mutation($id: ID!) { acknowledgeSafetyAlert(id: $id) { id } }`, { id: alert.id }, adminB))?.code).toBe('NOT_FOUND');
    expect(errorOf(await sg.run(`mutation($id: ID!) { acknowledgeSafetyAlert(id: $id) { id } }`, { id: alert.id }, viewerA))?.code).toBe('FORBIDDEN');
    const acked = ok(await sg.run(`mutation($id: ID!) { acknowledgeSafetyAlert(id: $id) { status acknowledgedAt } }`, { id: alert.id }, adminA));
    expect((acked.acknowledgeSafetyAlert as { status: string }).status).toBe('ACKNOWLEDGED');
    expect(errorOf(await sg.run(`mutation($input: RecordAlertActionInput!) { recordAlertAction(input: $input) { id } }`, { input: { alertId: alert.id, note: 'x' } }, adminA))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.note' });
    const acted = ok(await sg.run(`mutation($input: RecordAlertActionInput!) { recordAlertAction(input: $input) { status actions { note provenance { method } } } }`, { input: { alertId: alert.id, note: 'Held a blameless retro' } }, adminA));
    expect(acted.recordAlertAction).toEqual({ status: 'ACTED', actions: [{ note: 'Held a blameless retro', provenance: { method: 'HUMAN' } }] });
    const afterStatus = ok(await sg.run(`query($c: String!) { concernStatus(receiptCode: $c) { alertStatus actions } }`, { c: last.receipts[1] }, principalFor(A, ['MEMBER'])));
    expect(afterStatus.concernStatus).toEqual({ alertStatus: 'ACTED', actions: ['Held a blameless retro'] });
    expect(errorOf(await sg.run(`query($c: String!) { concernStatus(receiptCode: $c) { received } }`, { c: `${last.roundId}.forged` }, adminA))?.code).toBe('NOT_FOUND');

    // Refetch by id and through _entities (the gateway's subscription refetch).
    const one = ok(await sg.run(`query($id: ID!) { safetyAlert(id: $id) { id status } }`, { id: alert.id }, adminA));
    expect(one.safetyAlert).toEqual({ id: alert.id, status: 'ACTED' });
    const entities = ok(await sg.run(`query($r: [_Any!]!) { _entities(representations: $r) { ... on SafetyAlert { id severity } ... on PulseRound { id status } } }`, { r: [{ __typename: 'SafetyAlert', id: alert.id }, { __typename: 'PulseRound', id: last.roundId }] }, adminA));
    expect(entities._entities).toEqual([{ id: alert.id, severity: 'URGENT' }, { id: last.roundId, status: 'CLOSED' }]);
    expect(ok(await sg.run(`query($id: ID!) { safetyAlert(id: $id) { id } }`, { id: alert.id }, adminB)).safetyAlert).toBeNull();

    // Raising the minimum group size hides rounds of 5 everywhere, the alert included.
    expect(errorOf(await sg.run(`mutation { setPrivacyThreshold(minGroupSize: 2) { minGroupSize } }`, {}, adminA))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'minGroupSize' });
    expect(errorOf(await sg.run(`mutation { setPrivacyThreshold(minGroupSize: 6) { minGroupSize } }`, {}, principalFor(A, ['MEMBER'])))?.code).toBe('FORBIDDEN');
    ok(await sg.run(`mutation { setPrivacyThreshold(minGroupSize: 6) { minGroupSize } }`, {}, adminA));
    expect(ok(await sg.run(`query($id: ID!) { safetyAlert(id: $id) { id } }`, { id: alert.id }, adminA)).safetyAlert).toBeNull();
    const hidden = ok(await sg.run(`{ teamSafety(teamId: "team-down") { points { suppressed } baseline } }`, {}, adminA));
    expect(hidden.teamSafety).toEqual({ points: [{ suppressed: true }, { suppressed: true }, { suppressed: true }, { suppressed: true }], baseline: null });
    ok(await sg.run(`mutation { setPrivacyThreshold(minGroupSize: 5) { minGroupSize } }`, {}, adminA));
  });

  it('celebrates a rise per the organization policy', async () => {
    ok(await sg.run(`mutation { setSafetyAlertPolicy(input: { celebrationRise: 0.2 }) { celebrationRise urgentDrop } }`, {}, adminA));
    expect(errorOf(await sg.run(`mutation { setSafetyAlertPolicy(input: { routineDrop: 3 }) { routineDrop } }`, {}, adminA))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.routineDrop' });
    ok(await sg.run(REGISTER, { input: { teamId: 'team-up', memberCount: 5 } }, adminA));
    await runRound('team-up', [5, 5, 5, 5, 5]);
    await runRound('team-up', [6, 6, 5, 5, 5]);
    const list = ok(await sg.run(`{ safetyAlerts(teamId: "team-up") { edges { node { severity signals { kind } recommendedAction } } } }`, {}, adminA));
    expect((list.safetyAlerts as { edges: Array<{ node: { severity: string; signals: Array<{ kind: string }> } }> }).edges.map((e) => e.node)).toEqual([
      expect.objectContaining({ severity: 'CELEBRATION', signals: [{ kind: 'SCORE_RISE' }] }),
    ]);
    const policy = ok(await sg.run(`{ culturePolicy { minGroupSize celebrationRise urgentDrop provenance { method } } }`, {}, viewerA));
    expect(policy.culturePolicy).toEqual({ minGroupSize: 5, celebrationRise: 0.2, urgentDrop: 0.5, provenance: { method: 'HUMAN' } });
  });

  it('summarizes culture across teams without small groups, per tenant', async () => {
    const window = { from: iso(Date.now() - DAY), to: iso(Date.now() + DAY) };
    const data = ok(await sg.run(`query($w: ImpactWindowInput!) { cultureSummary(window: $w) { suppressed safetyScore responseCount teams { teamId suppressed safetyScore responseCount } provenance { explanation } } }`, { w: window }, adminA));
    const summary = data.cultureSummary as { suppressed: boolean; responseCount: number; teams: Array<{ teamId: string; suppressed: boolean; responseCount: number | null }> };
    expect(summary.teams.find((t) => t.teamId === 'small-team')).toMatchObject({ suppressed: true, responseCount: null });
    expect(summary.teams.find((t) => t.teamId === 'team-down')).toMatchObject({ suppressed: false, responseCount: 20 });
    // The small team's 4 answers are in no total: 20 (team-down) + 10 (team-up).
    expect(summary.responseCount).toBe(30);
    const other = ok(await sg.run(`query($w: ImpactWindowInput!) { cultureSummary(window: $w) { suppressed teams { teamId } } }`, { w: window }, adminB));
    expect(other.cultureSummary).toEqual({ suppressed: true, teams: [] });
    expect(errorOf(await sg.run(OPEN, { t: 'team-down' }, adminB))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'teamId' });
  });
});

describe('passion-driven orchestrator and champions', () => {
  const [h, x, y, z] = [newId(), newId(), newId(), newId()];
  const PROFILE = `mutation($input: UpdatePassionProfileInput!) { updatePassionProfile(input: $input) { id personId person { id } passions { topic authenticity sources canMentor demonstratedCount activeMonths provenance { method } } provenance { method model explanation confidence } } }`;
  const month = (m: number) => `2026-0${m}-15T10:00:00.000Z`;

  it('needs PASSION_ANALYSIS consent', async () => {
    ok(await consent(h, adminA, ['IMPACT_TRACKING']));
    const result = await sg.run(PROFILE, { input: { personId: h, interests: ['data viz'], skills: [], contributions: [] } }, adminA);
    expect(errorOf(result)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.personId' });
  });

  it('derives passions with authenticity and proposes explained matches with an audit record', async () => {
    for (const p of [h, x, y, z]) ok(await consent(p, adminA, ['PASSION_ANALYSIS']));
    ok(await sg.run(`mutation($input: CreatePassionCommunityInput!) { createPassionCommunity(input: $input) { id } }`, { input: { name: 'Viz Guild', kind: 'COMMUNITY', topics: ['Data Viz', 'storytelling'] } }, adminA));
    ok(await sg.run(`mutation($input: CreatePassionCommunityInput!) { createPassionCommunity(input: $input) { id } }`, { input: { name: 'Garden Club', kind: 'INITIATIVE', topics: ['gardening'] } }, adminA));
    expect(errorOf(await sg.run(`mutation($input: CreatePassionCommunityInput!) { createPassionCommunity(input: $input) { id } }`, { input: { name: 'Garden Club', kind: 'COMMUNITY', topics: ['x y'] } }, adminA))).toMatchObject({ code: 'ALREADY_EXISTS', field: 'input.name' });
    for (const [p, team] of [[x, 'T2'], [y, 'T3'], [z, 'T1']] as const) ok(await sg.run(PROFILE, { input: { personId: p, teamId: team, interests: ['data viz'], skills: [], contributions: [] } }, adminA));
    const data = ok(await sg.run(PROFILE, {
      input: {
        personId: h,
        teamId: 'T1',
        interests: ['data viz', 'gardening'],
        skills: [{ name: 'Data Viz', tags: ['ABLE_TO_MENTOR'] }],
        contributions: [
          { topic: 'data viz', at: month(7), withPersonIds: [x] },
          { topic: 'data viz', at: month(8), withPersonIds: [y] },
          { topic: 'data viz', at: month(9), withPersonIds: [z] },
        ],
      },
    }, adminA));
    const profile = data.updatePassionProfile as { id: string; passions: Array<{ topic: string; authenticity: number; sources: string[]; canMentor: boolean }>; provenance: { method: string; explanation: string; confidence: number } };
    expect(profile.passions.map((p) => [p.topic, p.authenticity])).toEqual([['data viz', 0.834], ['gardening', 0.1]]);
    expect(profile.passions[0]).toMatchObject({ sources: ['INTEREST', 'SKILL', 'CONTRIBUTION'], canMentor: true });
    expect(profile.provenance).toMatchObject({ method: 'RULE', confidence: 0.834 });
    expect(profile.provenance.explanation).toContain('consent basis LOCAL (PASSION_ANALYSIS)');
    expect(errorOf(await sg.run(PROFILE, { input: { personId: h, interests: [], skills: [{ name: 'go', tags: [] }], contributions: [{ topic: 'data viz', at: '2999-01-01T00:00:00Z' }] } }, adminA))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.contributions.at' });

    const proposed = ok(await sg.run(`mutation($p: ID!) { proposePassionMatches(personId: $p) { id person { id } items { rank score matchedTopics explanation community { name kind } provenance { method } } provenance { method explanation } } }`, { p: h }, adminA));
    const proposal = proposed.proposePassionMatches as { id: string; items: Array<{ rank: number; score: number; community: { name: string } }> };
    // Viz Guild: 0.834 / 2 = 0.417; Garden Club: 0.1 / 1 = 0.1
    expect(proposal.items.map((i) => [i.rank, i.community.name, i.score])).toEqual([[1, 'Viz Guild', 0.417], [2, 'Garden Club', 0.1]]);
    await sg.flush();
    const events = await sg.deps.store.outbox.since(systemScope(A, 'test'), null, ['culture_events', 'audit_events'], 500);
    expect(events.some((e) => e.type === 'passion.match.proposed' && e.subject.id === proposal.id)).toBe(true);
    expect(events.some((e) => e.type === 'audit.recorded' && (e.payload as { action: string }).action === 'impact.proposePassionMatches')).toBe(true);
    const refetch = ok(await sg.run(`query($r: [_Any!]!) { _entities(representations: $r) { ... on MatchProposal { id } ... on PassionProfile { personId } } }`, { r: [{ __typename: 'MatchProposal', id: proposal.id }, { __typename: 'PassionProfile', id: profile.id }] }, adminA));
    expect(refetch._entities).toEqual([{ id: proposal.id }, { personId: h }]);
    expect(ok(await sg.run(`query($id: ID!) { matchProposal(id: $id) { id } }`, { id: proposal.id }, adminB)).matchProposal).toBeNull();
  });

  it('uses the language model (or local rules) on the bio and labels the method', async () => {
    const data = ok(await sg.run(PROFILE, { input: { personId: x, teamId: 'T2', interests: ['data viz', 'gardening'], skills: [], contributions: [], bio: 'Gardening is my passion: I grow tomatoes, compost and plan the garden every weekend.' } }, adminA));
    const profile = data.updatePassionProfile as { passions: Array<{ topic: string; sources: string[] }>; provenance: { method: string; model: string; explanation: string } };
    expect(profile.provenance).toMatchObject({ method: 'RULE', model: 'mesh-local' });
    expect(profile.passions.find((p) => p.topic === 'gardening')?.sources).toEqual(['INTEREST', 'NARRATIVE']);
    expect(profile.provenance.explanation).toContain('"gardening"');
  });

  it('enriches content only with consent, tagging every fragment with its source', async () => {
    const ENRICH = `query($input: EnrichInput!) { enrich(input: $input) { personalized content fragments { kind topic sourceTag provenance { method confidence explanation } } provenance { explanation } } }`;
    const input = { personId: h, content: 'Prepare the data viz for the board' };
    const without = ok(await sg.run(ENRICH, { input }, adminA)).enrich as { personalized: boolean; content: string; provenance: { explanation: string } };
    expect(without).toMatchObject({ personalized: false, content: input.content });
    expect(without.provenance.explanation).toContain('not consented');
    ok(await consent(h, adminA, ['PASSION_ANALYSIS', 'ENRICHMENT']));
    const profileId = ((ok(await sg.run(`query($p: ID!) { passionProfile(personId: $p) { id } }`, { p: h }, adminA)).passionProfile) as { id: string }).id;
    const withConsent = ok(await sg.run(ENRICH, { input }, adminA)).enrich as { personalized: boolean; content: string; fragments: Array<{ kind: string; topic: string; sourceTag: string; provenance: { method: string; confidence: number; explanation: string } }> };
    expect(withConsent.personalized).toBe(true);
    expect(withConsent.fragments).toEqual([{ kind: 'MENTORING', topic: 'data viz', sourceTag: `passion-profile/${profileId}/data viz`, provenance: expect.objectContaining({ method: 'RULE', confidence: 0.834 }) }]);
    expect(withConsent.fragments[0].provenance.explanation).toContain('consent basis LOCAL (ENRICHMENT)');
    expect(withConsent.content).toContain('Personal context:\n- You mentor others in data viz');
    expect(errorOf(await sg.run(ENRICH, { input: { personId: h, content: '  ' } }, adminA))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.content' });
  });

  it('discovers the cross-team champion with an evidence path, and honours consent withdrawal', async () => {
    const data = ok(await sg.run(`{ crossTeamChampions(skill: "Data Viz") { personId person { id } betweenness teamsBridged collaborators evidencePath evidence { fromPersonId from { id } fromTeamId toPersonId to { id } toTeamId crossesTeams sharedContributions lastContributionAt provenance { method explanation } } provenance { method explanation } } }`, {}, adminA));
    expect(data.crossTeamChampions).toEqual([
      expect.objectContaining({ personId: h, person: { id: h }, betweenness: 1, teamsBridged: ['T1', 'T2', 'T3'], collaborators: 3, evidencePath: [z, h, x] }),
    ]);
    // Each hop is backed by the contribution the two made together: z with h in September (same team), h with x in July (T1 → T2).
    const [champion] = data.crossTeamChampions as Array<{ evidence: Array<Record<string, unknown>>; provenance: { explanation: string } }>;
    expect(champion.evidence).toEqual([
      { fromPersonId: z, from: { id: z }, fromTeamId: 'T1', toPersonId: h, to: { id: h }, toTeamId: 'T1', crossesTeams: false, sharedContributions: 1, lastContributionAt: new Date(month(9)), provenance: { method: 'RULE', explanation: `1 shared data viz contributions (latest ${month(9)}).` } },
      { fromPersonId: h, from: { id: h }, fromTeamId: 'T1', toPersonId: x, to: { id: x }, toTeamId: 'T2', crossesTeams: true, sharedContributions: 1, lastContributionAt: new Date(month(7)), provenance: { method: 'RULE', explanation: `1 shared data viz contributions (latest ${month(7)}), across teams T1 → T2.` } },
    ]);
    expect(champion.provenance.explanation).toContain('1 of 2 hops cross teams');
    expect(ok(await sg.run(`{ crossTeamChampions(skill: "data viz") { personId } }`, {}, adminB)).crossTeamChampions).toEqual([]);
    ok(await consent(h, adminA, []));
    expect(ok(await sg.run(`query($p: ID!) { passionProfile(personId: $p) { id } }`, { p: h }, adminA)).passionProfile).toBeNull();
    expect(ok(await sg.run(`{ crossTeamChampions(skill: "data viz") { personId } }`, {}, adminA)).crossTeamChampions).toEqual([]);
    expect(errorOf(await sg.run(`mutation($p: ID!) { proposePassionMatches(personId: $p) { id } }`, { p: h }, adminA))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'personId' });
  });
});

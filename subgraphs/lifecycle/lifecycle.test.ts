import { systemScope } from '../../platform/context.ts';
import { createTestSubgraph, principalFor, type TestSubgraph } from '../../platform/testing/harness.ts';
import { seededRandom } from './domain/bandit.ts';
import { createLifecycleSubgraph } from './index.ts';

const A = 'org-a';
const B = 'org-b';
const adminA = principalFor(A, ['ADMIN']);
const memberA = principalFor(A, ['MEMBER']);
const viewerA = principalFor(A, ['VIEWER']);
const adminB = principalFor(B, ['ADMIN']);
const salesA = principalFor(A, ['SALES_AGENT'], { assignmentId: 'asg-sales' });
const successA = principalFor(A, ['SUCCESS_MANAGER'], { assignmentId: 'asg-success' });
const supportA = principalFor(A, ['SUPPORT_SPECIALIST'], { assignmentId: 'asg-support' });

const daysAgo = (n: number): string => new Date(Date.now() - n * 86_400_000).toISOString();

const RECORD = `mutation($input: HealthSignalsInput!) {
  recordHealthSignals(input: $input) {
    score { id day score band components { name raw normalized weight } provenance { method explanation } }
    alerts { id kind score band dropPoints message task { id kind audience priority recommendedActions status } }
    transition { from to automatic reason }
  }
}`;
const OPEN = `mutation($input: OpenTicketInput!) {
  openTicket(input: $input) { id status urgency autoResolved escalated confidence attemptedResolution openedAt slaDueAt slaBreached
    matchedTicket { id } escalationTask { id kind audience priority status } openedBy { id } provenance { method confidence explanation } }
}`;
const TIMELINE = `query($kinds: [String!], $first: Int) { timeline(kinds: $kinds, first: $first) { edges { node { id kind topic summary severity subjectTypename subjectId actorId } } pageInfo { hasNextPage } } }`;

const perfect = { usageFrequency: 7, errorRate: 0, csat: 5, openTickets: 0, engagement: 1 };
const mixed = { usageFrequency: 3.5, errorRate: 0.05, csat: 3, openTickets: 3, engagement: 0.4 };

type Errors = ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }> | undefined;
const codeOf = (errors: Errors): unknown => errors?.[0]?.extensions?.code;
const fieldOf = (errors: Errors): unknown => errors?.[0]?.extensions?.field;

describe('lifecycle subgraph', () => {
  let sg: TestSubgraph;
  beforeAll(async () => {
    sg = await createTestSubgraph('lifecycle', createLifecycleSubgraph);
  });
  afterAll(async () => {
    await sg.close();
  });

  describe('authorization', () => {
    it('requires a principal and the right scopes', async () => {
      const anonymous = await sg.run('{ healthWeights { csat } }', {}, null);
      expect(codeOf(anonymous.errors)).toBe('UNAUTHENTICATED');
      const viewer = await sg.run(RECORD, { input: perfect }, viewerA);
      expect(codeOf(viewer.errors)).toBe('FORBIDDEN');
      const member = await sg.run('mutation { setHealthWeights(input: { usageFrequency: 1, errorRate: 1, csat: 1, openTickets: 1, engagement: 1 }) { csat } }', {}, memberA);
      expect(codeOf(member.errors)).toBe('FORBIDDEN');
      const viewerTicket = await sg.run(OPEN, { input: { channel: 'CHAT', subject: 'Help me', body: 'Something' } }, viewerA);
      expect(codeOf(viewerTicket.errors)).toBe('FORBIDDEN');
    });
  });

  describe('customer health', () => {
    let alertId = '';
    let taskId = '';
    let scoreId = '';

    it('rejects bad signals with the field named', async () => {
      const bad = await sg.run(RECORD, { input: { ...perfect, csat: 9 } }, adminA);
      expect(codeOf(bad.errors)).toBe('BAD_USER_INPUT');
      expect(fieldOf(bad.errors)).toBe('input.csat');
      const future = await sg.run(RECORD, { input: { ...perfect, observedAt: new Date(Date.now() + 86_400_000).toISOString() } }, adminA);
      expect(fieldOf(future.errors)).toBe('input.observedAt');
    });

    it('rejects a disallowed lifecycle start', async () => {
      const bad = await sg.run('mutation { setLifecycleStage(input: { stage: AT_RISK, reason: "just because" }) { to } }', {}, adminA);
      expect(codeOf(bad.errors)).toBe('BAD_USER_INPUT');
      expect(fieldOf(bad.errors)).toBe('input.stage');
    });

    it('scores a green day, then a red day with an alert, a Copilot task and a stage change', async () => {
      const stage = await sg.run('mutation { setLifecycleStage(input: { stage: ACTIVE, reason: "contract signed" }) { from to automatic provenance { method } } }', {}, adminA);
      expect(stage.errors).toBeUndefined();
      expect(stage.data?.setLifecycleStage).toEqual({ from: null, to: 'ACTIVE', automatic: false, provenance: { method: 'HUMAN' } });

      const green = await sg.run(RECORD, { input: { ...perfect, observedAt: daysAgo(3) } }, adminA);
      expect(green.errors).toBeUndefined();
      const greenResult = green.data?.recordHealthSignals as { score: { score: number; band: string }; alerts: unknown[]; transition: unknown };
      expect(greenResult.score).toMatchObject({ score: 100, band: 'GREEN' });
      expect(greenResult.alerts).toEqual([]);
      expect(greenResult.transition).toBeNull();

      const red = await sg.run(RECORD, { input: mixed }, successA);
      expect(red.errors).toBeUndefined();
      const result = red.data?.recordHealthSignals as {
        score: { id: string; score: number; band: string; components: Array<{ name: string; normalized: number; weight: number }>; provenance: { method: string; explanation: string } };
        alerts: Array<{ id: string; kind: string; dropPoints: number; task: { id: string; kind: string; audience: string; priority: string; recommendedActions: string[]; status: string } }>;
        transition: { from: string; to: string; automatic: boolean };
      };
      expect(result.score).toMatchObject({ score: 51, band: "RED" });
      expect(result.score.components.find((c) => c.name === 'openTickets')).toEqual({ name: 'openTickets', raw: 3, normalized: 70, weight: 0.15 });
      expect(result.score.provenance.method).toBe('STATISTICAL');
      expect(result.score.provenance.explanation).toContain('usageFrequency 50 × 0.25');
      expect(result.alerts).toHaveLength(1);
      expect(result.alerts[0]).toMatchObject({ kind: 'SCORE_DROP', dropPoints: 49 });
      expect(result.alerts[0].task).toMatchObject({ kind: 'HEALTH_PLAYBOOK', audience: 'SUCCESS', priority: 'HIGH', status: 'OPEN' });
      expect(result.alerts[0].task.recommendedActions.join(' ')).toMatch(/Schedule a call/);
      expect(result.transition).toEqual({ from: 'ACTIVE', to: 'AT_RISK', automatic: true, reason: 'Health score 51 is RED' });
      alertId = result.alerts[0].id;
      taskId = result.alerts[0].task.id;
      scoreId = result.score.id;
    });

    it('does not raise the same alert twice for a second reading of the day', async () => {
      const again = await sg.run(RECORD, { input: mixed }, adminA);
      expect((again.data?.recordHealthSignals as { alerts: unknown[] }).alerts).toEqual([]);
      const alerts = await sg.run('{ healthAlerts { edges { node { id kind healthScore { score } task { id } } } } }', {}, adminA);
      expect(alerts.data?.healthAlerts).toEqual({ edges: [{ node: { id: alertId, kind: 'SCORE_DROP', healthScore: { score: 51 }, task: { id: taskId } } }] });
    });

    it('commits the health events', async () => {
      const scope = systemScope(A, 'test');
      const success = await sg.deps.store.outbox.since(scope, null, ['customer_success_events'], 50);
      const types = success.map((e) => e.type);
      expect(types).toEqual(expect.arrayContaining(['lifecycle.stage.changed', 'health.score.recorded', 'health.alert.raised']));
      expect(success.find((e) => e.type === 'health.alert.raised')?.subject).toEqual({ typename: 'HealthAlert', id: alertId });
      const actions = await sg.deps.store.outbox.since(scope, null, ['agent_action_events'], 50);
      expect(actions.map((e) => e.subject)).toContainEqual({ typename: 'CopilotTask', id: taskId });
    });

    it('contributes health and lifecycle to Organization, for the caller only', async () => {
      const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Organization { id health { score band } healthHistory(first: 5) { edges { node { day score } } } lifecycle { stage messagingSchedule { kind due } } lifecycleTransitions { edges { node { from to } } } } } }`;
      const mine = await sg.run(query, { r: [{ __typename: 'Organization', id: A }] }, salesA);
      expect(mine.errors).toBeUndefined();
      const org = (mine.data?._entities as Array<Record<string, unknown>>)[0];
      expect(org.health).toEqual({ score: 51, band: 'RED' });
      expect((org.healthHistory as { edges: Array<{ node: { score: number } }> }).edges.map((e) => e.node.score)).toEqual([51, 100]);
      expect(org.lifecycle).toEqual({ stage: 'AT_RISK', messagingSchedule: [{ kind: 'MONTH_6', due: false }, { kind: 'MONTH_11', due: false }] });
      expect((org.lifecycleTransitions as { edges: Array<{ node: unknown }> }).edges.map((e) => e.node)).toEqual([{ from: 'ACTIVE', to: 'AT_RISK' }, { from: null, to: 'ACTIVE' }]);
      const other = await sg.run(query, { r: [{ __typename: 'Organization', id: A }] }, adminB);
      expect((other.data?._entities as Array<Record<string, unknown>>)[0]).toMatchObject({ id: A, health: null, healthHistory: null, lifecycle: null });
    });

    it('resolves several entity representations and hides other tenants', async () => {
      const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on HealthScore { id score } ... on HealthAlert { id kind } ... on CopilotTask { id status } } }`;
      const reps = [{ __typename: 'HealthScore', id: scoreId }, { __typename: 'HealthAlert', id: alertId }, { __typename: 'CopilotTask', id: taskId }];
      const mine = await sg.run(query, { r: reps }, adminA);
      expect(mine.data?._entities).toEqual([{ id: scoreId, score: 51 }, { id: alertId, kind: 'SCORE_DROP' }, { id: taskId, status: 'OPEN' }]);
      const theirs = await sg.run(query, { r: reps }, adminB);
      expect(theirs.data?._entities).toEqual([null, null, null]);
    });

    it('moves Copilot tasks, per tenant', async () => {
      const mutation = 'mutation($id: ID!) { setCopilotTaskStatus(id: $id, status: ACCEPTED) { id status provenance { method } } }';
      const other = await sg.run(mutation, { id: taskId }, adminB);
      expect(codeOf(other.errors)).toBe('NOT_FOUND');
      const ok = await sg.run(mutation, { id: taskId }, successA);
      expect(ok.data?.setCopilotTaskStatus).toEqual({ id: taskId, status: 'ACCEPTED', provenance: { method: 'HUMAN' } });
      const reopen = await sg.run('mutation($id: ID!) { setCopilotTaskStatus(id: $id, status: OPEN) { id } }', { id: taskId }, successA);
      expect(fieldOf(reopen.errors)).toBe('status');
    });

    it('uses the organization weights for later scores and shows them', async () => {
      const set = await sg.run('mutation { setHealthWeights(input: { usageFrequency: 1, errorRate: 0, csat: 0, openTickets: 1, engagement: 0 }) { usageFrequency openTickets provenance { method } } }', {}, adminA);
      expect(set.data?.setHealthWeights).toEqual({ usageFrequency: 1, openTickets: 1, provenance: { method: 'HUMAN' } });
      const bad = await sg.run('mutation { setHealthWeights(input: { usageFrequency: 0, errorRate: 0, csat: 0, openTickets: 0, engagement: 0 }) { csat } }', {}, adminA);
      expect(fieldOf(bad.errors)).toBe('input');
      const scored = await sg.run(RECORD, { input: mixed }, adminA);
      expect((scored.data?.recordHealthSignals as { score: { score: number; band: string } }).score).toMatchObject({ score: 60, band: 'YELLOW' });
      const weightsB = await sg.run('{ healthWeights { usageFrequency provenance { method } } }', {}, adminB);
      expect(weightsB.data?.healthWeights).toEqual({ usageFrequency: 0.25, provenance: { method: 'SYSTEM' } });
    });
  });

  describe('support engine', () => {
    let escalatedId = '';
    const ticket = { channel: 'EMAIL', subject: 'Production chatbot down', body: 'The production chatbot is down and returns a blank page since the deploy.' };

    it('rejects bad tickets with the field named', async () => {
      const bad = await sg.run(OPEN, { input: { channel: 'CHAT', subject: 'x', body: 'fine body' } }, adminA);
      expect(codeOf(bad.errors)).toBe('BAD_USER_INPUT');
      expect(fieldOf(bad.errors)).toBe('input.subject');
    });

    it('escalates a ticket without a known answer, with context and SLA', async () => {
      const res = await sg.run(OPEN, { input: ticket }, memberA);
      expect(res.errors).toBeUndefined();
      const t = res.data?.openTicket as { id: string; status: string; urgency: string; confidence: number; openedAt: string; slaDueAt: string; slaBreached: boolean; escalationTask: { kind: string; audience: string; priority: string }; openedBy: { id: string } };
      expect(t).toMatchObject({ status: 'ESCALATED', urgency: 'HIGH', confidence: 0, autoResolved: false, escalated: true, slaBreached: false, matchedTicket: null, attemptedResolution: null });
      expect(Date.parse(t.slaDueAt) - Date.parse(t.openedAt)).toBe(4 * 3_600_000);
      expect(t.escalationTask).toMatchObject({ kind: 'RESPOND_TO_ESCALATION', audience: 'SUPPORT', priority: 'HIGH', status: 'OPEN' });
      expect(t.openedBy.id).toBe(memberA.subject);
      escalatedId = t.id;
      const escalations = await sg.deps.store.outbox.since(systemScope(A, 'test'), null, ['escalation_events'], 10);
      expect(escalations).toHaveLength(1);
      expect(escalations[0]).toMatchObject({ type: 'support.ticket.escalated', subject: { typename: 'SupportTicket', id: escalatedId } });
      expect(escalations[0].payload).toMatchObject({ urgency: 'HIGH', confidence: 0, threshold: 0.85 });
    });

    it('keeps tickets per tenant', async () => {
      const read = await sg.run('query($id: ID!) { supportTicket(id: $id) { id } }', { id: escalatedId }, adminB);
      expect(read.data?.supportTicket).toBeNull();
      const resolve = await sg.run('mutation($id: ID!) { resolveTicket(id: $id, resolution: "Restarted it") { id } }', { id: escalatedId }, adminB);
      expect(codeOf(resolve.errors)).toBe('NOT_FOUND');
    });

    it('documents a human resolution and reuses it to resolve the same problem autonomously', async () => {
      const short = await sg.run('mutation($id: ID!) { resolveTicket(id: $id, resolution: "ok") { id } }', { id: escalatedId }, supportA);
      expect(fieldOf(short.errors)).toBe('resolution');
      const resolution = 'Roll back the last widget deploy from the Deployments page, then clear the CDN cache.';
      const resolved = await sg.run('mutation($id: ID!, $r: String!) { resolveTicket(id: $id, resolution: $r) { status resolution resolvedBy { id } escalationTask { status } provenance { method } } }', { id: escalatedId, r: resolution }, supportA);
      expect(resolved.data?.resolveTicket).toEqual({ status: 'RESOLVED', resolution, resolvedBy: { id: supportA.subject }, escalationTask: { status: 'DONE' }, provenance: { method: 'HUMAN' } });
      const twice = await sg.run('mutation($id: ID!, $r: String!) { resolveTicket(id: $id, resolution: $r) { id } }', { id: escalatedId, r: resolution }, supportA);
      expect(fieldOf(twice.errors)).toBe('id');

      const again = await sg.run(OPEN, { input: { ...ticket, channel: 'CHAT' } }, memberA);
      const t = again.data?.openTicket as { status: string; autoResolved: boolean; confidence: number; attemptedResolution: string; matchedTicket: { id: string }; escalationTask: null; provenance: { method: string; confidence: number; explanation: string } };
      expect(t).toMatchObject({ status: 'RESOLVED', autoResolved: true, escalated: false, confidence: 1, attemptedResolution: resolution, matchedTicket: { id: escalatedId }, escalationTask: null });
      expect(t.provenance).toMatchObject({ method: 'STATISTICAL', confidence: 1 });
      expect(t.provenance.explanation).toMatch(/^Resolved autonomously/);
    });

    it('escalates below a raised threshold and reports the rates', async () => {
      const bad = await sg.run('mutation { setSupportSettings(input: { autoResolveThreshold: 0.3 }) { autoResolveThreshold } }', {}, adminA);
      expect(fieldOf(bad.errors)).toBe('input.autoResolveThreshold');
      const set = await sg.run('mutation { setSupportSettings(input: { autoResolveThreshold: 0.99 }) { autoResolveThreshold } }', {}, adminA);
      expect(set.data?.setSupportSettings).toEqual({ autoResolveThreshold: 0.99 });
      // Shares most terms with the resolved ticket but not all: similarity below 0.99.
      const near = await sg.run(OPEN, { input: { channel: 'VOICE', subject: 'Chatbot down', body: 'The production chatbot is down after the deploy.' } }, memberA);
      const t = near.data?.openTicket as { status: string; confidence: number; attemptedResolution: string | null };
      expect(t.status).toBe('ESCALATED');
      expect(t.confidence).toBeGreaterThan(0.5);
      expect(t.confidence).toBeLessThan(0.99);
      expect(t.attemptedResolution).toMatch(/Roll back/);

      const stats = await sg.run('{ supportStats { total autoResolved escalated openEscalations autonomousResolutionRate escalationRate provenance { method } } }', {}, adminA);
      expect(stats.data?.supportStats).toEqual({ total: 3, autoResolved: 1, escalated: 2, openEscalations: 1, autonomousResolutionRate: 0.3333, escalationRate: 0.6667, provenance: { method: 'STATISTICAL' } });
      const list = await sg.run('{ supportTickets(status: ESCALATED) { totalCount edges { node { status } } } }', {}, adminA);
      expect(list.data?.supportTickets).toEqual({ totalCount: 1, edges: [{ node: { status: 'ESCALATED' } }] });
      const statsB = await sg.run('{ supportStats { total autonomousResolutionRate } }', {}, adminB);
      expect(statsB.data?.supportStats).toEqual({ total: 0, autonomousResolutionRate: 0 });
    });
  });

  describe('Copilot timeline', () => {
    let orgEventId = '';

    beforeAll(async () => {
      // An event from another subgraph's family, committed through a store outbox like any other.
      const provenance = sg.deps.provenance.build({ method: 'HUMAN', inputs: { name: 'Acme' }, explanation: 'test' }, 'corr-1');
      const event = await sg.deps.store.transaction(systemScope(A, 'test'), { action: 'test.orgCreated', actor: { id: 'user-1', kind: 'user' }, correlationId: 'corr-1', audit: false }, (tx) =>
        tx.emit({ type: 'org.created', topic: 'org_events', subject: { typename: 'Organization', id: A }, payload: { name: 'Acme' } }, provenance),
      );
      orgEventId = event.id;
      await sg.flush();
    });

    it('records every domain event as a timeline event, newest first', async () => {
      const res = await sg.run(TIMELINE, { first: 200 }, adminA);
      expect(res.errors).toBeUndefined();
      const nodes = (res.data?.timeline as { edges: Array<{ node: { id: string; kind: string; topic: string; summary: string; severity: string; actorId: string } }> }).edges.map((e) => e.node);
      expect(nodes[0]).toMatchObject({ id: orgEventId, kind: 'org.created', topic: 'org_events', summary: 'Org created: Acme', severity: 'INFO', actorId: 'user-1' });
      const kinds = new Set(nodes.map((n) => n.kind));
      for (const kind of ['health.score.recorded', 'health.alert.raised', 'copilot.task.created', 'lifecycle.stage.changed', 'support.ticket.escalated', 'support.ticket.resolved']) expect(kinds).toContain(kind);
      expect(nodes.some((n) => n.topic === 'audit_events')).toBe(false);
      expect(nodes.find((n) => n.kind === 'health.alert.raised')?.severity).toBe('CRITICAL');
      const opened = nodes.filter((n) => n.kind === 'support.ticket.opened').map((n) => n.summary);
      expect(opened).toContain('Ticket opened (HIGH): Production chatbot down');
    });

    it('filters by kind and by role', async () => {
      const alertsOnly = await sg.run(TIMELINE, { kinds: ['health.alert.raised'] }, adminA);
      expect((alertsOnly.data?.timeline as { edges: Array<{ node: { kind: string } }> }).edges.map((e) => e.node.kind)).toEqual(['health.alert.raised']);

      const topicsOf = async (principal: typeof adminA): Promise<Set<string>> => {
        const res = await sg.run(TIMELINE, { first: 200 }, principal);
        return new Set((res.data?.timeline as { edges: Array<{ node: { topic: string } }> }).edges.map((e) => e.node.topic));
      };
      expect([...(await topicsOf(salesA))]).toEqual(['org_events']);
      expect(await topicsOf(supportA)).toEqual(new Set(['support_events', 'escalation_events']));
      expect(await topicsOf(successA)).toEqual(new Set(['customer_success_events', 'agent_action_events']));
      expect((await topicsOf(adminB)).size).toBe(0);
    });

    it('refetches one event by id, only where visible', async () => {
      const query = 'query($id: ID!) { timelineEvent(id: $id) { id kind subjectTypename subjectId actor { id } provenance { method correlationId } } }';
      const mine = await sg.run(query, { id: orgEventId }, salesA);
      expect(mine.data?.timelineEvent).toEqual({ id: orgEventId, kind: 'org.created', subjectTypename: 'Organization', subjectId: A, actor: { id: 'user-1' }, provenance: { method: 'HUMAN', correlationId: 'corr-1' } });
      expect((await sg.run(query, { id: orgEventId }, supportA)).data?.timelineEvent).toBeNull();
      expect((await sg.run(query, { id: orgEventId }, adminB)).data?.timelineEvent).toBeNull();
      const entities = await sg.run('query($r: [_Any!]!) { _entities(representations: $r) { ... on TimelineEvent { id summary } } }', { r: [{ __typename: 'TimelineEvent', id: orgEventId }] }, viewerA);
      expect(entities.data?._entities).toEqual([{ id: orgEventId, summary: 'Org created: Acme' }]);
    });

    it('ranks the work list per staff function', async () => {
      const query = 'query($first: Int) { copilotWorkList(first: $first) { kind audience priority status } }';
      const all = await sg.run(query, {}, adminA);
      expect(all.data?.copilotWorkList).toEqual([
        { kind: 'RESPOND_TO_ESCALATION', audience: 'SUPPORT', priority: 'HIGH', status: 'OPEN' },
        { kind: 'HEALTH_PLAYBOOK', audience: 'SUCCESS', priority: 'HIGH', status: 'ACCEPTED' },
      ]);
      expect((await sg.run(query, {}, supportA)).data?.copilotWorkList).toEqual([{ kind: 'RESPOND_TO_ESCALATION', audience: 'SUPPORT', priority: 'HIGH', status: 'OPEN' }]);
      expect((await sg.run(query, {}, successA)).data?.copilotWorkList).toEqual([{ kind: 'HEALTH_PLAYBOOK', audience: 'SUCCESS', priority: 'HIGH', status: 'ACCEPTED' }]);
      expect((await sg.run(query, {}, salesA)).data?.copilotWorkList).toEqual([]);
      expect((await sg.run(query, {}, adminB)).data?.copilotWorkList).toEqual([]);
      expect(fieldOf((await sg.run(query, { first: 0 }, adminA)).errors)).toBe('first');
    });

    it('digests what happened while the agent was away', async () => {
      const query = 'query($since: DateTime!) { timelineDigest(since: $since, highlights: 3) { total critical warning info headline highlights { severity topic } provenance { method } } }';
      const since = new Date(Date.now() - 3_600_000).toISOString();
      const mine = await sg.run(query, { since }, adminA);
      expect(mine.errors).toBeUndefined();
      const digest = mine.data?.timelineDigest as { total: number; critical: number; warning: number; info: number; headline: string; highlights: Array<{ severity: string; topic: string }>; provenance: { method: string } };
      expect(digest.total).toBe(digest.critical + digest.warning + digest.info);
      expect(digest.critical).toBeGreaterThan(0);
      expect(digest.highlights).toHaveLength(3);
      expect(digest.highlights[0].severity).toBe('CRITICAL');
      expect(digest.headline).toMatch(/^While you were away: \d+ events/);
      expect(digest.provenance.method).toBe('RULE');
      const support = (await sg.run(query, { since }, supportA)).data?.timelineDigest as { highlights: Array<{ topic: string }> };
      expect(support.highlights.every((h) => ['support_events', 'escalation_events', 'conversation_events'].includes(h.topic))).toBe(true);
      const other = (await sg.run(query, { since }, adminB)).data?.timelineDigest as { total: number; headline: string };
      expect(other).toMatchObject({ total: 0, headline: 'Nothing happened while you were away.' });
      const future = await sg.run(query, { since: new Date(Date.now() + 3_600_000).toISOString() }, adminA);
      expect(fieldOf(future.errors)).toBe('since');
    });

    it('records each event once even when redelivered', async () => {
      const [event] = await sg.deps.store.outbox.since(systemScope(A, 'test'), null, ['org_events'], 1);
      await sg.deps.bus.publish([event]);
      const res = await sg.run(TIMELINE, { kinds: ['org.created'] }, adminA);
      expect((res.data?.timeline as { edges: unknown[] }).edges).toHaveLength(1);
    });
  });
  describe('bandit experiments', () => {
    let experimentId = '';
    const variantsQuery = 'query($id: ID!) { experiment(id: $id) { id name variants { key assigned outcomes conversions alpha beta posteriorMean probabilityBest provenance { method } } } }';

    it('validates and creates an experiment', async () => {
      const bad = await sg.run('mutation { createExperiment(input: { name: "Day 7", variants: [{ key: "A", content: "Hi" }] }) { id } }', {}, memberA);
      expect(codeOf(bad.errors)).toBe('BAD_USER_INPUT');
      expect(fieldOf(bad.errors)).toBe('input.variants');
      const created = await sg.run(
        'mutation { createExperiment(input: { name: "Trial day 7 email", minShare: 0.02, variants: [{ key: "A", content: "Plain" }, { key: "B", content: "Personal" }, { key: "C", content: "Discount" }] }) { id minShare variants { key probabilityBest } provenance { method } } }',
        {},
        memberA,
      );
      expect(created.errors).toBeUndefined();
      const experiment = created.data?.createExperiment as { id: string; minShare: number; variants: Array<{ key: string; probabilityBest: number }> };
      expect(experiment.minShare).toBe(0.02);
      expect(experiment.variants.map((v) => v.key)).toEqual(['A', 'B', 'C']);
      experimentId = experiment.id;
      const events = await sg.deps.store.outbox.since(systemScope(A, 'test'), null, ['communication_events'], 10);
      expect(events.map((e) => e.type)).toContain('experiment.created');
    });

    it('keeps assignments sticky and outcomes single', async () => {
      const assign = 'mutation($e: ID!, $r: String!) { assignVariant(experimentId: $e, recipientId: $r) { id variantKey content experiment { id } } }';
      const first = await sg.run(assign, { e: experimentId, r: 'sticky@example.com' }, memberA);
      const second = await sg.run(assign, { e: experimentId, r: 'sticky@example.com' }, memberA);
      expect(second.data?.assignVariant).toEqual(first.data?.assignVariant);
      const outcome = 'mutation($e: ID!, $r: String!) { recordExperimentOutcome(experimentId: $e, recipientId: $r, converted: false) { converted } }';
      expect((await sg.run(outcome, { e: experimentId, r: 'sticky@example.com' }, memberA)).data?.recordExperimentOutcome).toEqual({ converted: false });
      const twice = await sg.run(outcome, { e: experimentId, r: 'sticky@example.com' }, memberA);
      expect(fieldOf(twice.errors)).toBe('recipientId');
      const unknown = await sg.run(outcome, { e: experimentId, r: 'never-assigned' }, memberA);
      expect(fieldOf(unknown.errors)).toBe('recipientId');
    });

    it('is invisible to other tenants', async () => {
      expect((await sg.run(variantsQuery, { id: experimentId }, adminB)).data?.experiment).toBeNull();
      const assign = await sg.run('mutation($e: ID!) { assignVariant(experimentId: $e, recipientId: "x") { id } }', { e: experimentId }, adminB);
      expect(codeOf(assign.errors)).toBe('NOT_FOUND');
      const entities = await sg.run('query($r: [_Any!]!) { _entities(representations: $r) { ... on Experiment { id name } } }', { r: [{ __typename: 'Experiment', id: experimentId }] }, adminA);
      expect(entities.data?._entities).toEqual([{ id: experimentId, name: 'Trial day 7 email' }]);
    });

    it('shifts traffic toward the best variant on simulated outcomes', async () => {
      const rates: Record<string, number> = { A: 0.05, B: 0.5, C: 0.1 };
      const outcomes = seededRandom(2026);
      for (let i = 0; i < 150; i += 1) {
        const assigned = await sg.run('mutation($e: ID!, $r: String!) { assignVariant(experimentId: $e, recipientId: $r) { variantKey } }', { e: experimentId, r: `r${i}` }, memberA);
        const key = (assigned.data?.assignVariant as { variantKey: string }).variantKey;
        await sg.run('mutation($e: ID!, $r: String!, $c: Boolean!) { recordExperimentOutcome(experimentId: $e, recipientId: $r, converted: $c) { id } }', { e: experimentId, r: `r${i}`, c: outcomes() < rates[key] }, memberA);
      }
      const res = await sg.run(variantsQuery, { id: experimentId }, viewerA);
      const variants = (res.data?.experiment as { variants: Array<{ key: string; assigned: number; outcomes: number; conversions: number; alpha: number; beta: number; probabilityBest: number; provenance: { method: string } }> }).variants;
      const byKey = Object.fromEntries(variants.map((v) => [v.key, v]));
      expect(variants.reduce((sum, v) => sum + v.assigned, 0)).toBe(151);
      expect(byKey.B.assigned).toBeGreaterThan(byKey.A.assigned + byKey.C.assigned);
      expect(byKey.B.probabilityBest).toBeGreaterThan(0.9);
      expect(byKey.B.alpha).toBe(1 + byKey.B.conversions);
      expect(byKey.B.beta).toBe(1 + byKey.B.outcomes - byKey.B.conversions);
      expect(byKey.B.provenance.method).toBe('STATISTICAL');
    });
  });
});

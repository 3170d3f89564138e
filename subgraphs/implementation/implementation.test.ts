import { systemScope } from '../../platform/context.ts';
import { createTestSubgraph, principalFor, type TestSubgraph } from '../../platform/testing/harness.ts';
import { createImplementationSubgraph } from './index.ts';

const ORG_A = 'org-a';
const ORG_B = 'org-b';
const adminA = principalFor(ORG_A, ['ADMIN'], { subject: 'admin-a' });
const otherAdminA = principalFor(ORG_A, ['OWNER'], { subject: 'owner-a' });
const memberA = principalFor(ORG_A, ['MEMBER'], { subject: 'member-a' });
const viewerA = principalFor(ORG_A, ['VIEWER']);
const adminB = principalFor(ORG_B, ['ADMIN']);

const PRD_FIELDS = 'id title status completeness productType openQuestions { id section followUp reason provenance { method } } sections { section complete items issues } answers { questionId vague issues author { id } }';
const START = `mutation($input: StartPrdInput!) { startPrd(input: $input) { ${PRD_FIELDS} provenance { method subgraph } } }`;
const ANSWER = `mutation($input: AnswerPrdQuestionInput!) { answerPrdQuestion(input: $input) { ${PRD_FIELDS} } }`;
const APPROVE = 'mutation($id: ID!) { approvePrd(input: { prdId: $id }) { id status approvedBy { id } approvedAt } }';
const GENERATE = `mutation($id: ID!) { generateConfigFromPrd(input: { prdId: $id }) {
  config { id name productType headVersion prd { id } }
  version { id number document digest risk { level } approvalStatus }
  unsupportedIntegrations notes provenance { method confidence explanation } } }`;
const COMMIT = 'mutation($input: CommitConfigInput!) { commitConfig(input: $input) { id number parentNumber message document risk { level reasons requiresApproval provenance { method } } approvalStatus author { id } changes { path kind before after } } }';
const DEPLOY = 'mutation($input: DeployConfigInput!) { deployConfig(input: $input) { id environment previousVersion version { number } config { id } deployedBy { id } provenance { method } } }';

const CHATBOT_ANSWERS: Array<[string, string]> = [
  ['objectives', 'Resolve order questions without an agent'],
  ['use_cases', 'track an order, start a return'],
  ['kpis', 'automation rate 80%'],
  ['edge_cases', 'customer has no order number: ask for the email'],
  ['escalation_rules', 'when a refund is over $500 hand off to the billing team'],
  ['integrations', 'Zendesk, LegacyERP'],
];

type Json = Record<string, unknown>;
const data = <T = Json>(result: { data?: Record<string, unknown> | null; errors?: ReadonlyArray<{ message: string }> }, field: string): T => {
  if (result.errors?.length) throw new Error(result.errors.map((e) => e.message).join('; '));
  return (result.data as Record<string, T>)[field];
};
const errorOf = (result: { errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }> }) => result.errors?.[0]?.extensions ?? {};

describe('implementation subgraph', () => {
  let sg: TestSubgraph;
  beforeAll(async () => {
    sg = await createTestSubgraph('implementation', createImplementationSubgraph);
  });
  afterAll(async () => {
    await sg.close();
  });

  const startPrd = async (principal = memberA, productType = 'CHATBOT') => data<Json>(await sg.run(START, { input: { title: 'Acme Shop', productType } }, principal), 'startPrd');
  const completePrd = async (principal = memberA): Promise<string> => {
    const prd = await startPrd(principal);
    for (const [questionId, answer] of CHATBOT_ANSWERS) data(await sg.run(ANSWER, { input: { prdId: prd.id, questionId, answer } }, principal), 'answerPrdQuestion');
    return prd.id as string;
  };
  const approvedConfig = async (): Promise<{ prdId: string; configId: string; document: Json }> => {
    const prdId = await completePrd();
    data(await sg.run(APPROVE, { id: prdId }, memberA), 'approvePrd');
    const gen = data<{ config: { id: string }; version: { document: string } }>(await sg.run(GENERATE, { id: prdId }, memberA), 'generateConfigFromPrd');
    return { prdId, configId: gen.config.id, document: JSON.parse(gen.version.document) as Json };
  };

  describe('PRD builder', () => {
    it('starts a PRD with the six chatbot questions and emits prd.started', async () => {
      const prd = await startPrd();
      expect(prd).toMatchObject({ title: 'Acme Shop', status: 'IN_PROGRESS', completeness: 0, provenance: { method: 'HUMAN', subgraph: 'implementation' } });
      expect((prd.openQuestions as Json[]).map((q) => q.id)).toEqual(['objectives', 'use_cases', 'kpis', 'edge_cases', 'escalation_rules', 'integrations']);
      await sg.flush();
      const events = await sg.deps.store.outbox.since(systemScope(ORG_A, 'test'), null, ['prd_events'], 100);
      expect(events.some((e) => e.type === 'prd.started' && e.subject.id === prd.id && e.subject.typename === 'Prd')).toBe(true);
    });

    it('cross-questions a vague KPI, then accepts a measurable one', async () => {
      const prd = await startPrd();
      const vague = data<Json>(await sg.run(ANSWER, { input: { prdId: prd.id, questionId: 'kpis', answer: 'happier customers' } }, memberA), 'answerPrdQuestion');
      const followUp = (vague.openQuestions as Json[]).find((q) => q.section === 'KPIS');
      expect(followUp).toMatchObject({ id: 'kpis.clarify', followUp: true, provenance: { method: 'RULE' } });
      expect(vague.answers).toEqual([{ questionId: 'kpis', vague: true, issues: ['KPI without a numeric target: "happier customers".'], author: { id: 'member-a' } }]);
      expect(vague.completeness).toBe(0);
      // The original question is no longer open: only the follow-up is.
      const stale = await sg.run(ANSWER, { input: { prdId: prd.id, questionId: 'kpis', answer: 'CSAT 4.5' } }, memberA);
      expect(errorOf(stale)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.questionId' });
      const fixed = data<Json>(await sg.run(ANSWER, { input: { prdId: prd.id, questionId: 'kpis.clarify', answer: 'CSAT 4.5' } }, memberA), 'answerPrdQuestion');
      expect(fixed.completeness).toBe(0.17);
      expect((fixed.sections as Json[]).find((s) => s.section === 'KPIS')).toEqual({ section: 'KPIS', complete: true, items: ['CSAT 4.5'], issues: [] });
      await sg.flush();
      const events = await sg.deps.store.outbox.since(systemScope(ORG_A, 'test'), null, ['collaboration_events'], 100);
      expect(events.filter((e) => e.type === 'prd.answered' && e.subject.id === prd.id)).toHaveLength(2);
    });

    it('rejects empty answers and unknown PRDs', async () => {
      const prd = await startPrd();
      expect(errorOf(await sg.run(ANSWER, { input: { prdId: prd.id, questionId: 'kpis', answer: '   ' } }, memberA))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.answer' });
      expect(errorOf(await sg.run(START, { input: { title: 'x', productType: 'CHATBOT' } }, memberA))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.title' });
      expect(errorOf(await sg.run(ANSWER, { input: { prdId: '01NOPE', questionId: 'kpis', answer: 'a' } }, memberA)).code).toBe('NOT_FOUND');
    });

    it('approves only a complete PRD and emits prd.approved', async () => {
      const incomplete = await startPrd();
      expect(errorOf(await sg.run(APPROVE, { id: incomplete.id }, memberA))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.prdId' });
      const prdId = await completePrd();
      const ready = data<Json>(await sg.run(`query($id: ID!) { prd(id: $id) { status completeness openQuestions { id } } }`, { id: prdId }, viewerA), 'prd');
      expect(ready).toEqual({ status: 'READY_FOR_REVIEW', completeness: 1, openQuestions: [] });
      const approved = data<Json>(await sg.run(APPROVE, { id: prdId }, memberA), 'approvePrd');
      expect(approved).toMatchObject({ status: 'APPROVED', approvedBy: { id: 'member-a' } });
      expect(errorOf(await sg.run(ANSWER, { input: { prdId, questionId: 'kpis', answer: 'CSAT 5' } }, memberA))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.prdId' });
      await sg.flush();
      const events = await sg.deps.store.outbox.since(systemScope(ORG_A, 'test'), null, ['prd_events'], 100);
      const event = events.find((e) => e.type === 'prd.approved' && e.subject.id === prdId);
      expect(event?.payload).toMatchObject({ title: 'Acme Shop', productType: 'CHATBOT', sections: { KPIS: ['automation rate 80%'] } });
    });

    it('issues a help code and emits prd.help_requested on collaboration_events', async () => {
      const prd = await startPrd();
      const help = data<Json>(await sg.run('mutation($id: ID!) { requestPrdHelp(input: { prdId: $id }) { code expiresAt requestedBy { id } provenance { method } } }', { id: prd.id }, memberA), 'requestPrdHelp');
      expect(help.code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
      expect(new Date(help.expiresAt as string).getTime()).toBeGreaterThan(Date.now() + 59 * 60 * 1000);
      const read = data<Json>(await sg.run('query($id: ID!) { prd(id: $id) { helpRequest { code } } }', { id: prd.id }, viewerA), 'prd');
      expect(read).toEqual({ helpRequest: { code: help.code } });
      const events = await sg.deps.store.outbox.since(systemScope(ORG_A, 'test'), null, ['collaboration_events'], 200);
      expect(events.find((e) => e.type === 'prd.help_requested' && e.subject.id === prd.id)?.payload).toMatchObject({ code: help.code });
    });

    it('lists PRDs by status with totalCount', async () => {
      const list = data<Json>(await sg.run('{ prds(status: APPROVED, first: 1) { totalCount edges { node { status } } pageInfo { hasNextPage endCursor } } }', {}, viewerA), 'prds');
      expect((list.edges as Json[]).length).toBeLessThanOrEqual(1);
      expect((list.edges as Array<{ node: Json }>).every((e) => e.node.status === 'APPROVED')).toBe(true);
      expect(list.totalCount).toBeGreaterThanOrEqual(1);
    });

    it('counts only when totalCount is selected: a page alone is one store round trip', async () => {
      const before = sg.deps.store.stats.roundTrips;
      await sg.run('{ prds(first: 5) { edges { node { id } } } }', {}, viewerA);
      const pageOnly = sg.deps.store.stats.roundTrips - before;
      const middle = sg.deps.store.stats.roundTrips;
      const counted = data<Json>(await sg.run('{ prds(first: 5) { totalCount edges { node { id } } } }', {}, viewerA), 'prds');
      expect(pageOnly).toBe(1);
      expect(sg.deps.store.stats.roundTrips - middle).toBe(2);
      expect(counted.totalCount).toBeGreaterThanOrEqual((counted.edges as Json[]).length);
    });
  });

  describe('configs', () => {
    it('generates a valid config from an approved PRD, idempotently', async () => {
      const prdId = await completePrd();
      expect(errorOf(await sg.run(GENERATE, { id: prdId }, memberA))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.prdId' });
      data(await sg.run(APPROVE, { id: prdId }, memberA), 'approvePrd');
      const gen = data<Json>(await sg.run(GENERATE, { id: prdId }, memberA), 'generateConfigFromPrd');
      expect(gen).toMatchObject({
        config: { name: 'Acme Shop', productType: 'CHATBOT', headVersion: 1, prd: { id: prdId } },
        version: { number: 1, risk: { level: 'LOW' }, approvalStatus: 'NOT_REQUIRED' },
        unsupportedIntegrations: ['LegacyERP'],
        provenance: { method: 'RULE', confidence: 0.75 }, // 2 use cases mapped + Zendesk; LegacyERP unmapped: 3/4
      });
      const doc = JSON.parse((gen.version as Json).document as string) as Json;
      expect(doc.integrations).toEqual([{ enabled: true, provider: 'zendesk' }]);
      const again = data<Json>(await sg.run(GENERATE, { id: prdId }, memberA), 'generateConfigFromPrd');
      expect(again.version).toEqual(gen.version);
      const prd = data<Json>(await sg.run('query($id: ID!) { prd(id: $id) { config { id } } }', { id: prdId }, viewerA), 'prd');
      expect(prd.config).toEqual({ id: (gen.config as Json).id });
    });

    it('commits, diffs, assesses risk, requires four-eyes approval and rolls back', async () => {
      const { configId, document } = await approvedConfig();
      // MEDIUM: a tool toggled.
      const tools = (document.tools as Json[]).map((t, i) => (i === 0 ? { ...t, enabled: false } : t));
      const v2 = data<Json>(await sg.run(COMMIT, { input: { configId, document: JSON.stringify({ ...document, tools }), message: 'Disable search', expectedHeadVersion: 1 } }, adminA), 'commitConfig');
      expect(v2).toMatchObject({ number: 2, parentNumber: 1, risk: { level: 'MEDIUM', requiresApproval: false }, approvalStatus: 'NOT_REQUIRED', author: { id: 'admin-a' } });
      expect(v2.changes).toEqual([{ path: 'tools[0].enabled', kind: 'CHANGED', before: 'true', after: 'false' }]);
      // HIGH: the system prompt changes; needs another admin's approval before deployment.
      const v3 = data<Json>(await sg.run(COMMIT, { input: { configId, document: JSON.stringify({ ...document, tools, systemPrompt: 'You are a terse assistant for Acme customers.' }), message: 'New prompt' } }, adminA), 'commitConfig');
      expect(v3).toMatchObject({ number: 3, risk: { level: 'HIGH', requiresApproval: true, provenance: { method: 'RULE' } }, approvalStatus: 'PENDING' });
      const blocked = await sg.run(DEPLOY, { input: { configId, version: 3, environment: 'DEV' } }, adminA);
      expect(errorOf(blocked)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.version' });
      const APPROVE_V = 'mutation($input: ApproveConfigVersionInput!) { approveConfigVersion(input: $input) { number approvalStatus approvedBy { id } } }';
      expect(errorOf(await sg.run(APPROVE_V, { input: { configId, version: 3 } }, adminA)).code).toBe('FORBIDDEN');
      expect(errorOf(await sg.run(APPROVE_V, { input: { configId, version: 3 } }, memberA)).code).toBe('FORBIDDEN');
      expect(errorOf(await sg.run(APPROVE_V, { input: { configId, version: 2 } }, otherAdminA))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.version' });
      expect(data(await sg.run(APPROVE_V, { input: { configId, version: 3 } }, otherAdminA), 'approveConfigVersion')).toEqual({ number: 3, approvalStatus: 'APPROVED', approvedBy: { id: 'owner-a' } });
      // Diff across versions.
      const diff = data<Json>(await sg.run('query($c: ID!) { configDiff(configId: $c, fromVersion: 1, toVersion: 3) { fromVersion toVersion added removed changed entries { path kind } risk { level } provenance { method } } }', { c: configId }, viewerA), 'configDiff');
      expect(diff).toEqual({ fromVersion: 1, toVersion: 3, added: 0, removed: 0, changed: 2, entries: [{ path: 'systemPrompt', kind: 'CHANGED' }, { path: 'tools[0].enabled', kind: 'CHANGED' }], risk: { level: 'HIGH' }, provenance: { method: 'RULE' } });
      expect(errorOf(await sg.run('query($c: ID!) { configDiff(configId: $c, fromVersion: 1, toVersion: 9) { added } }', { c: configId }, viewerA))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'toVersion' });
      // Rollback to version 1 makes version 4 with version 1's content.
      const ROLLBACK = 'mutation($input: RollbackConfigInput!) { rollbackConfig(input: $input) { number rollbackOf message digest risk { level } approvalStatus } }';
      const v4 = data<Json>(await sg.run(ROLLBACK, { input: { configId, toVersion: 1 } }, adminA), 'rollbackConfig');
      const v1 = data<Json>(await sg.run('query($c: ID!) { config(id: $c) { headVersion head { number } version(number: 1) { digest } versions(first: 10) { totalCount edges { node { number } } } } }', { c: configId }, viewerA), 'config');
      expect(v4).toMatchObject({ number: 4, rollbackOf: 1, message: 'Rollback to version 1', digest: (v1.version as Json).digest, risk: { level: 'HIGH' }, approvalStatus: 'PENDING' });
      expect(v1).toMatchObject({ headVersion: 4, head: { number: 4 }, versions: { totalCount: 4, edges: [{ node: { number: 4 } }, { node: { number: 3 } }, { node: { number: 2 } }, { node: { number: 1 } }] } });
      expect(errorOf(await sg.run(ROLLBACK, { input: { configId, toVersion: 1 } }, adminA))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.toVersion' });
      await sg.flush();
      const types = (await sg.deps.store.outbox.since(systemScope(ORG_A, 'test'), null, ['config_events'], 500)).map((e) => e.type);
      expect(types).toEqual(expect.arrayContaining(['config.generated', 'config.committed', 'config.approved', 'config.rolled_back']));
    });

    it('rejects invalid documents with field-level errors, no-op commits and stale heads', async () => {
      const { configId, document } = await approvedConfig();
      const badSpeed = await sg.run(COMMIT, { input: { configId, document: JSON.stringify({ ...document, productType: 'VOICEBOT', integrations: [], voice: { speed: 3, clarity: 0.5, style: 'warm' } }), message: 'fast' } }, memberA);
      expect(errorOf(badSpeed)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.document.voice.speed' });
      expect(errorOf(await sg.run(COMMIT, { input: { configId, document: '{not json', message: 'x' } }, memberA))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.document' });
      expect(errorOf(await sg.run(COMMIT, { input: { configId, document: JSON.stringify(document), message: 'same' } }, memberA))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.document' });
      expect(errorOf(await sg.run(COMMIT, { input: { configId, document: JSON.stringify({ ...document, kpis: [] }), message: 'x', expectedHeadVersion: 7 } }, memberA)).code).toBe('CONFLICT');
      const validation = data<Json>(await sg.run('query($d: String!) { validateConfigDocument(document: $d) { valid errors { path message provenance { method } } } }', { d: JSON.stringify({ ...document, model: 'gpt-2' }) }, viewerA), 'validateConfigDocument');
      expect(validation).toEqual({ valid: false, errors: [{ path: 'model', message: 'must be one of gpt-4, gpt-4o, gpt-3.5-turbo, claude-3-opus, claude-3-sonnet, claude-3-haiku', provenance: { method: 'RULE' } }] });
    });

    it('creates a config from a document', async () => {
      const document = { schemaVersion: 1, productType: 'VOICEBOT', model: 'gpt-4o', systemPrompt: 'You are the Acme hotline voice agent.', tools: [], integrations: [], voice: { speed: 1.1, clarity: 0.9, style: 'calm', backgroundSound: null }, escalationRules: [] };
      const created = data<Json>(await sg.run('mutation($input: CreateConfigInput!) { createConfig(input: $input) { name productType headVersion head { number message risk { level } } } }', { input: { name: 'Hotline', document: JSON.stringify(document) } }, memberA), 'createConfig');
      expect(created).toEqual({ name: 'Hotline', productType: 'VOICEBOT', headVersion: 1, head: { number: 1, message: 'Initial version', risk: { level: 'LOW' } } });
    });
  });

  describe('deployments', () => {
    it('promotes DEV → STAGING → PRODUCTION and emits config.deployed with the document', async () => {
      const { configId } = await approvedConfig();
      expect(errorOf(await sg.run(DEPLOY, { input: { configId, version: 1, environment: 'STAGING' } }, adminA))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.version' });
      const dev = data<Json>(await sg.run(DEPLOY, { input: { configId, version: 1, environment: 'DEV' } }, memberA), 'deployConfig');
      expect(dev).toMatchObject({ environment: 'DEV', previousVersion: null, version: { number: 1 }, config: { id: configId }, deployedBy: { id: 'member-a' }, provenance: { method: 'HUMAN' } });
      data(await sg.run(DEPLOY, { input: { configId, version: 1, environment: 'STAGING' } }, memberA), 'deployConfig');
      // PRODUCTION needs an Owner/Admin (or assigned staff).
      expect(errorOf(await sg.run(DEPLOY, { input: { configId, version: 1, environment: 'PRODUCTION' } }, memberA)).code).toBe('FORBIDDEN');
      const prod = data<Json>(await sg.run(DEPLOY, { input: { configId, version: 1, environment: 'PRODUCTION' } }, adminA), 'deployConfig');
      const config = data<Json>(await sg.run('query($c: ID!) { config(id: $c) { deployedVersion(environment: PRODUCTION) { number } deployments { totalCount } } }', { c: configId }, viewerA), 'config');
      expect(config).toEqual({ deployedVersion: { number: 1 }, deployments: { totalCount: 3 } });
      const list = data<Json>(await sg.run('query($c: ID) { deployments(configId: $c, environment: PRODUCTION) { totalCount edges { node { id } } } }', { c: configId }, viewerA), 'deployments');
      expect(list).toEqual({ totalCount: 1, edges: [{ node: { id: prod.id } }] });
      await sg.flush();
      const events = await sg.deps.store.outbox.since(systemScope(ORG_A, 'test'), null, ['config_events'], 500);
      const deployed = events.find((e) => e.type === 'config.deployed' && e.subject.id === prod.id);
      expect(deployed?.subject.typename).toBe('Deployment');
      expect(deployed?.payload).toMatchObject({ configId, version: 1, environment: 'PRODUCTION', productType: 'CHATBOT', document: { productType: 'CHATBOT', model: 'gpt-4' } });
    });

    it('deploys a rollback to content that ran in PRODUCTION without new approval', async () => {
      const { configId, document } = await approvedConfig();
      for (const environment of ['DEV', 'STAGING', 'PRODUCTION']) data(await sg.run(DEPLOY, { input: { configId, version: 1, environment } }, adminA), 'deployConfig');
      data(await sg.run(COMMIT, { input: { configId, document: JSON.stringify({ ...document, model: 'claude-3-opus' }), message: 'Try Claude' } }, adminA), 'commitConfig');
      const rollback = data<Json>(await sg.run('mutation($c: ID!) { rollbackConfig(input: { configId: $c, toVersion: 1 }) { number risk { level requiresApproval } approvalStatus } }', { c: configId }, adminA), 'rollbackConfig');
      expect(rollback).toEqual({ number: 3, risk: { level: 'HIGH', requiresApproval: false }, approvalStatus: 'NOT_REQUIRED' });
      const prod = data<Json>(await sg.run(DEPLOY, { input: { configId, version: 3, environment: 'PRODUCTION' } }, adminA), 'deployConfig');
      expect(prod).toMatchObject({ environment: 'PRODUCTION', previousVersion: 1, version: { number: 3 } });
    });
  });

  describe('authorization and isolation', () => {
    it('refuses anonymous callers and viewers writing', async () => {
      expect(errorOf(await sg.run('{ prds { totalCount } }', {}, null)).code).toBe('UNAUTHENTICATED');
      expect(errorOf(await sg.run(START, { input: { title: 'Acme', productType: 'CHATBOT' } }, viewerA)).code).toBe('FORBIDDEN');
    });

    it('keeps tenant B out of tenant A', async () => {
      const { prdId, configId, document } = await approvedConfig();
      expect(data(await sg.run('query($id: ID!) { prd(id: $id) { id } }', { id: prdId }, adminB), 'prd')).toBeNull();
      expect(data(await sg.run('query($id: ID!) { config(id: $id) { id } }', { id: configId }, adminB), 'config')).toBeNull();
      expect(errorOf(await sg.run(ANSWER, { input: { prdId, questionId: 'kpis', answer: 'CSAT 4' } }, adminB)).code).toBe('NOT_FOUND');
      expect(errorOf(await sg.run(COMMIT, { input: { configId, document: JSON.stringify({ ...document, kpis: [] }), message: 'x' } }, adminB)).code).toBe('NOT_FOUND');
      expect(errorOf(await sg.run(DEPLOY, { input: { configId, version: 1, environment: 'DEV' } }, adminB)).code).toBe('NOT_FOUND');
      expect(errorOf(await sg.run('query($c: ID!) { configDiff(configId: $c, fromVersion: 1, toVersion: 1) { added } }', { c: configId }, adminB)).code).toBe('NOT_FOUND');
      const listB = data<Json>(await sg.run('{ configs { totalCount } prds { totalCount } deployments { totalCount } }', {}, adminB), 'configs');
      expect(listB).toEqual({ totalCount: 0 });
      const ent = data<Json[]>(await sg.run('query($r: [_Any!]!) { _entities(representations: $r) { ... on Config { id } ... on Organization { id configs { id } } } }', { r: [{ __typename: 'Config', id: configId }, { __typename: 'Organization', id: ORG_A }] }, adminB), '_entities');
      expect(ent).toEqual([null, null]);
    });

    it('resolves several entity references of each type', async () => {
      const { prdId, configId } = await approvedConfig();
      const dep = data<Json>(await sg.run(DEPLOY, { input: { configId, version: 1, environment: 'DEV' } }, adminA), 'deployConfig');
      const head = data<Json>(await sg.run('query($c: ID!) { config(id: $c) { head { id } } }', { c: configId }, viewerA), 'config');
      const versionId = (head.head as Json).id;
      const ent = data<Json[]>(
        await sg.run(
          'query($r: [_Any!]!) { _entities(representations: $r) { ... on Prd { id status } ... on Config { id headVersion } ... on ConfigVersion { id number } ... on Deployment { id environment } ... on Organization { id configs { id } } } }',
          { r: [{ __typename: 'Prd', id: prdId }, { __typename: 'Config', id: configId }, { __typename: 'ConfigVersion', id: versionId }, { __typename: 'Deployment', id: dep.id }, { __typename: 'Prd', id: 'missing' }, { __typename: 'Organization', id: ORG_A }] },
          viewerA,
        ),
        '_entities',
      );
      expect(ent.slice(0, 5)).toEqual([{ id: prdId, status: 'APPROVED' }, { id: configId, headVersion: 1 }, { id: versionId, number: 1 }, { id: dep.id, environment: 'DEV' }, null]);
      expect(ent[5].id).toBe(ORG_A);
      expect((ent[5].configs as Json[]).map((c) => c.id)).toContain(configId);
    });
  });
});

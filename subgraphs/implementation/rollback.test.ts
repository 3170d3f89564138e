import { systemScope } from '../../platform/context.ts';
import type { EventEnvelope } from '../../platform/events/envelope.ts';
import { newId } from '../../platform/ids.ts';
import { createTestSubgraph, principalFor, type TestSubgraph } from '../../platform/testing/harness.ts';
import { createImplementationSubgraph } from './index.ts';
import { applyRollbackRequest } from './rollback.ts';

/** The automatic rollback consumer: acts only when the incident's version is still deployed and the target ran there. */
const ORG = 'org-rollback';
const admin = principalFor(ORG, ['ADMIN']);
const scope = systemScope(ORG, 'test');
const document = { schemaVersion: 1, productType: 'VOICEBOT', model: 'gpt-4o', systemPrompt: 'You are the hotline voice agent.', tools: [], integrations: [], voice: { speed: 1.1, clarity: 0.9, style: 'calm', backgroundSound: null }, escalationRules: [] };

let sg: TestSubgraph;
beforeAll(async () => {
  sg = await createTestSubgraph('implementation', createImplementationSubgraph);
});
afterAll(async () => {
  await sg.close();
});

const run = async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
  const result = await sg.run(query, variables, admin);
  if (result.errors?.length) throw new Error(JSON.stringify(result.errors));
  return result.data as T;
};

const request = (payload: Record<string, unknown>): EventEnvelope => ({
  id: newId(),
  type: 'monitoring.rollback.requested',
  topic: 'monitoring_incidents',
  tenantId: ORG,
  subject: { typename: 'MonitoringIncident', id: String(payload.incidentId) },
  actor: { id: 'lifecycle', kind: 'system' },
  occurredAt: new Date().toISOString(),
  correlationId: newId(),
  payload,
  provenance: sg.deps.provenance.build({ method: 'RULE', inputs: payload, explanation: 'test' }, 'c'),
  schemaVersion: 1,
});

const apply = (event: EventEnvelope) => sg.deps.store.transaction(scope, { action: 'test.rollback', actor: { id: 'test', kind: 'system' }, correlationId: event.correlationId, audit: false }, (tx) => applyRollbackRequest(sg.deps, event, tx));

const configEvents = async (incidentId: string) => (await sg.deps.store.outbox.since(scope, null, ['config_events'], 1000)).filter((e) => e.payload.incidentId === incidentId);

describe('automatic rollback', () => {
  let configId: string;
  beforeAll(async () => {
    configId = (await run<{ createConfig: { id: string } }>(`mutation($input: CreateConfigInput!) { createConfig(input: $input) { id } }`, { input: { name: 'Hotline', document: JSON.stringify(document) } })).createConfig.id;
    await run(`mutation($input: DeployConfigInput!) { deployConfig(input: $input) { id } }`, { input: { configId, version: 1, environment: 'DEV' } });
    await run(`mutation($input: CommitConfigInput!) { commitConfig(input: $input) { number } }`, { input: { configId, document: JSON.stringify({ ...document, voice: { ...document.voice, speed: 1.3 } }), message: 'Faster' } });
    await run(`mutation($input: DeployConfigInput!) { deployConfig(input: $input) { id } }`, { input: { configId, version: 2, environment: 'DEV' } });
  });

  it('skips a request for a version that never ran in the environment, or one no longer deployed', async () => {
    await apply(request({ incidentId: 'i-prod', configId, environment: 'PRODUCTION', version: 2, toVersion: 1 }));
    expect((await configEvents('i-prod')).map((e) => [e.type, e.payload.reason])).toEqual([['config.rollback.skipped', 'version 2 is no longer deployed to PRODUCTION (now none)']]);
    await apply(request({ incidentId: 'i-v9', configId, environment: 'DEV', version: 2, toVersion: 9 }));
    expect((await configEvents('i-v9')).map((e) => [e.type, e.payload.reason])).toEqual([['config.rollback.skipped', 'version 9 does not exist']]);
    const still = await run<{ config: { deployedVersion: { number: number } } }>(`query($c: ID!) { config(id: $c) { deployedVersion(environment: DEV) { number } } }`, { c: configId });
    expect(still.config.deployedVersion.number).toBe(2);
  });

  it('redeploys the previous version, announces it, and skips a repeated request', async () => {
    await apply(request({ incidentId: 'i-1', configId, environment: 'DEV', version: 2, toVersion: 1, reason: 'error rate 7.5% > 5.0%' }));
    const events = await configEvents('i-1');
    expect(events.map((e) => e.type)).toEqual(['config.deployed', 'config.auto_rolled_back']);
    expect(events[0].payload).toMatchObject({ configId, environment: 'DEV', version: 1, previousVersion: 2, autoRollback: true });
    expect(events[1].payload).toMatchObject({ fromVersion: 2, toVersion: 1 });
    const now = await run<{ config: { deployedVersion: { number: number }; deployments: { edges: Array<{ node: { previousVersion: number; version: { number: number } } }> } } }>(
      `query($c: ID!) { config(id: $c) { deployedVersion(environment: DEV) { number } deployments(first: 1) { edges { node { previousVersion version { number } } } } } }`,
      { c: configId },
    );
    expect(now.config.deployedVersion.number).toBe(1);
    expect(now.config.deployments.edges[0].node).toEqual({ previousVersion: 2, version: { number: 1 } });
    // The same request again (redelivery, or a second incident) finds version 2 no longer deployed.
    await apply(request({ incidentId: 'i-1b', configId, environment: 'DEV', version: 2, toVersion: 1 }));
    expect((await configEvents('i-1b')).map((e) => e.type)).toEqual(['config.rollback.skipped']);
  });
});

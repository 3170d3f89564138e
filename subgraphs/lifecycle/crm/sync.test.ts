import { PLATFORM_TENANT_ID, systemScope } from '../../../platform/context.ts';
import type { EventEnvelope } from '../../../platform/events/envelope.ts';
import { newId } from '../../../platform/ids.ts';
import { createSubgraphDeps, type Kernel } from '../../../platform/runtime.ts';
import { createTestKernel } from '../../../platform/testing/harness.ts';
import { crmDeliveries, crmDue, crmSettings } from '../store.ts';
import { createRecordingCrmConnector } from './connector.ts';
import { createCrmScheduler, CRM_SETTINGS_ID, queueCrmDelivery } from './sync.ts';

/**
 * The CRM scheduler on the embedded store with the recording connector and a controlled clock:
 * the retry schedule is followed exactly, persisted state carries the retries across a restart
 * (a new store instance and a new scheduler on the same data), and one record's deliveries keep
 * their order.
 */
const TENANT = 'org-crm';
const BASE = 1000;

type Deps = Awaited<ReturnType<typeof createSubgraphDeps>>;

let kernel: Kernel;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ kernel, cleanup } = await createTestKernel());
});
afterAll(async () => {
  await kernel.bus.close();
  await cleanup();
});

const open = async (): Promise<Deps> => createSubgraphDeps(kernel, 'lifecycle');
const close = async (deps: Deps): Promise<void> => {
  await deps.relay.stop();
  await deps.graph.close();
  await deps.store.close();
};

const event = (type: string, subjectId: string, payload: Record<string, unknown>, occurredAt: string): EventEnvelope => ({
  id: newId(),
  type,
  topic: 'research_events',
  tenantId: TENANT,
  subject: { typename: 'Prospect', id: subjectId },
  actor: { id: 'u1', kind: 'user' },
  occurredAt,
  correlationId: newId(),
  payload,
  provenance: { subgraph: 'presales', engine: 'nedb', method: 'HUMAN', model: null, modelVersion: null, computedAt: occurredAt, confidence: null, inputsDigest: 'x', explanation: 'test', correlationId: 'c' } as unknown as EventEnvelope['provenance'],
  schemaVersion: 1,
});

const scope = systemScope(TENANT, 'test');
const consume = async (deps: Deps, envelope: EventEnvelope): Promise<void> => {
  await deps.store.transaction(scope, { action: 'test.consume', actor: { id: 'test', kind: 'system' }, correlationId: envelope.correlationId, audit: false }, (tx) => queueCrmDelivery(deps, envelope, tx, () => undefined));
};

describe('CRM scheduler', () => {
  it('follows the backoff schedule, survives a restart mid-way and dead-letters after the 5th try', async () => {
    let deps = await open();
    await deps.store.transaction(scope, { action: 'test.settings', actor: { id: 'test', kind: 'system' }, correlationId: 'c' }, (tx) => {
      tx.insert(crmSettings, { id: CRM_SETTINGS_ID, enabled: true, connector: 'HTTP', endpointUrl: 'https://crm.example.com/x', fieldMapping: [{ source: 'stage', target: 'StageName' }], stageMapping: [], backoffBaseMs: BASE }, deps.provenance.build({ method: 'HUMAN', inputs: {}, explanation: 'test' }, 'c'));
    });
    const t0 = Date.now();
    await consume(deps, event('prospect.created', 'p1', { companyName: 'Acme' }, new Date(t0).toISOString()));

    const connector = createRecordingCrmConnector([{ outcome: 'RETRYABLE', detail: 'HTTP 503', httpStatus: 503 }]);
    // Due from the moment the delivery was queued (the consumer's own clock): start just after that,
    // however long the commit took on a busy machine.
    let clock = Date.now() + 5;
    let scheduler = createCrmScheduler(deps, () => connector, { now: () => new Date(clock) });
    expect(await scheduler.tick()).toBe(1);
    let [delivery] = await deps.store.collection(crmDeliveries).find(scope, {});
    expect(delivery).toMatchObject({ status: 'PENDING', attempts: 1, nextAttemptAt: new Date(clock + BASE).toISOString() });
    expect(connector.requests[0]).toMatchObject({ operation: 'UPSERT_OPPORTUNITY', recordKey: 'p1', idempotencyKey: delivery.id, precondition: null, force: false });
    expect(connector.requests[0].fields).toContainEqual({ name: 'StageName', value: 'NEW' });

    // Not due yet: nothing happens.
    clock += BASE - 1;
    expect(await scheduler.tick()).toBe(0);
    clock += 1;
    expect(await scheduler.tick()).toBe(1);

    // Restart: a new store instance on the same files and a new scheduler.
    await scheduler.stop();
    await close(deps);
    deps = await open();
    scheduler = createCrmScheduler(deps, () => connector, { now: () => new Date(clock) });
    [delivery] = await deps.store.collection(crmDeliveries).find(scope, {});
    expect(delivery).toMatchObject({ status: 'PENDING', attempts: 2, nextAttemptAt: new Date(clock + 2 * BASE).toISOString() });
    expect(await scheduler.tick()).toBe(0);
    for (const wait of [2 * BASE, 4 * BASE, 8 * BASE]) {
      clock += wait;
      expect(await scheduler.tick()).toBe(1);
    }
    [delivery] = await deps.store.collection(crmDeliveries).find(scope, {});
    expect(delivery).toMatchObject({ status: 'DEAD_LETTER', attempts: 5, nextAttemptAt: null, lastError: 'HTTP 503' });
    expect(delivery.attemptLog).toHaveLength(5);
    expect(connector.requests).toHaveLength(5);
    expect(new Set(connector.requests.map((r) => r.idempotencyKey)).size).toBe(1);

    // Nothing is tried again, and once its hold has passed the tenant leaves the due index.
    clock += 120_000;
    expect(await scheduler.tick()).toBe(0);
    expect(await deps.store.collection(crmDue).get(systemScope(PLATFORM_TENANT_ID, 'test'), TENANT)).toBeNull();
    expect(connector.requests).toHaveLength(5);
    await scheduler.stop();
    await close(deps);
  });

  it("keeps one record's deliveries in order, and sends an out-of-order stage change to review", async () => {
    const deps = await open();
    const t0 = Date.now();
    // p2 is created and moves on; its creation fails first, so the stage change must wait behind it.
    await consume(deps, event('prospect.created', 'p2', { companyName: 'Globex' }, new Date(t0).toISOString()));
    await consume(deps, event('prospect.stage_changed', 'p2', { from: 'NEW', to: 'RESEARCHED' }, new Date(t0 + 10).toISOString()));
    const connector = createRecordingCrmConnector([{ outcome: 'RETRYABLE' }, { outcome: 'DELIVERED' }]);
    let clock = Date.now() + 20;
    const scheduler = createCrmScheduler(deps, () => connector, { now: () => new Date(clock) });
    expect(await scheduler.tick()).toBe(1);
    expect(connector.requests.map((r) => r.fields.find((f) => f.name === 'StageName')?.value)).toEqual(['NEW']);
    clock += BASE;
    expect(await scheduler.tick()).toBe(2);
    expect(connector.requests.map((r) => r.fields.find((f) => f.name === 'StageName')?.value)).toEqual(['NEW', 'NEW', 'RESEARCHED']);
    expect(connector.requests[2].precondition).toEqual({ name: 'StageName', value: 'NEW' });

    // A stage change older than the one already known never reaches the CRM: it waits for a person.
    await consume(deps, event('prospect.stage_changed', 'p2', { from: 'NEW', to: 'LOST' }, new Date(t0 + 5).toISOString()));
    const review = await deps.store.collection(crmDeliveries).find(scope, { status: 'CONFLICT' });
    expect(review).toHaveLength(1);
    expect(review[0].conflictReason).toMatch(/Out of order/);
    clock += 10 * BASE;
    expect(await scheduler.tick()).toBe(0);
    expect(connector.requests).toHaveLength(3);
    await scheduler.stop();
    await close(deps);
  });

  it('queues nothing while CRM sync is disabled', async () => {
    const deps = await open();
    const before = await deps.store.collection(crmDeliveries).count(scope, {});
    const settings = await deps.store.collection(crmSettings).get(scope, CRM_SETTINGS_ID);
    if (!settings) throw new Error('settings missing');
    await deps.store.transaction(scope, { action: 'test.settings', actor: { id: 'test', kind: 'system' }, correlationId: 'c' }, (tx) => {
      tx.update(crmSettings, settings, { enabled: false });
    });
    await consume(deps, event('prospect.created', 'p3', { companyName: 'Initech' }, new Date().toISOString()));
    expect(await deps.store.collection(crmDeliveries).count(scope, {})).toBe(before);
    await close(deps);
  });
});

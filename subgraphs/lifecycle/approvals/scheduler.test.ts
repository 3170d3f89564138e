import { PLATFORM_TENANT_ID, systemScope, type RequestContext } from '../../../platform/context.ts';
import { newId } from '../../../platform/ids.ts';
import { createSubgraphDeps, type Kernel } from '../../../platform/runtime.ts';
import { createTestKernel, principalFor } from '../../../platform/testing/harness.ts';
import { approvalDue, approvalRequests } from '../store.ts';
import { createApprovalScheduler, decideApproval, requestApproval, setApprovalPolicy } from './commands.ts';

/**
 * The approval escalation scheduler on the embedded store with a controlled clock: nothing moves
 * before the deadline, each passed SLA escalates exactly one level with a fresh deadline, the top of
 * the chain is marked once, the due index follows the earliest pending deadline and is dropped when
 * nothing is pending.
 */
const TENANT = 'org-approvals';
type Deps = Awaited<ReturnType<typeof createSubgraphDeps>>;

let kernel: Kernel;
let cleanup: () => Promise<void>;
let deps: Deps;
beforeAll(async () => {
  ({ kernel, cleanup } = await createTestKernel());
  deps = await createSubgraphDeps(kernel, 'lifecycle');
});
afterAll(async () => {
  await deps.relay.stop();
  await deps.graph.close();
  await deps.store.close();
  await kernel.bus.close();
  await cleanup();
});

const ctxFor = (roles: Parameters<typeof principalFor>[1]): RequestContext => ({ principal: principalFor(TENANT, roles), correlationId: newId(), logger: deps.logger, loaders: new Map() });
const scope = systemScope(TENANT, 'test');
const platform = systemScope(PLATFORM_TENANT_ID, 'test');

describe('approval escalation scheduler', () => {
  it('escalates each passed SLA one level, marks the top once, and keeps the due index on the earliest deadline', async () => {
    const owner = ctxFor(['OWNER']);
    await setApprovalPolicy(deps, owner, { slaSeconds: { LOW: 600, MEDIUM: 60, HIGH: 30 } });
    const member = ctxFor(['MEMBER']);
    const medium = await requestApproval(deps, member, { type: 'REFUND', risk: 'MEDIUM', amount: 2000, title: 'Refund for the outage week' }, () => undefined);
    const high = await requestApproval(deps, member, { type: 'DISCOUNT', risk: 'HIGH', amount: 100, title: 'Discount for a pilot' }, () => undefined);
    expect(medium).toMatchObject({ assignedRole: 'SUPPORT_SPECIALIST', level: 0, slaSeconds: 60 });
    expect(high).toMatchObject({ assignedRole: 'ADMIN', level: 1, slaSeconds: 30 });
    const highDue = Date.parse(high.slaDeadline as string);
    const mediumDue = Date.parse(medium.slaDeadline as string);
    expect((await deps.store.collection(approvalDue).get(platform, TENANT))?.dueAt).toBe(high.slaDeadline);

    let clock = highDue - 1000;
    const scheduler = createApprovalScheduler(deps, { now: () => new Date(clock) });
    expect(await scheduler.tick()).toBe(0);

    // Just past the HIGH deadline (30 s SLA): only it is overdue: ADMIN → OWNER, fresh 30 s.
    clock = highDue + 1000;
    expect(await scheduler.tick()).toBe(1);
    const h1 = await deps.store.collection(approvalRequests).get(scope, high.id);
    expect(h1).toMatchObject({ assignedRole: 'OWNER', level: 2, escalations: 1, slaDeadline: new Date(clock + 30_000).toISOString() });
    expect((await deps.store.collection(approvalDue).get(platform, TENANT))?.dueAt).toBe(medium.slaDeadline);

    // Just past the MEDIUM deadline (60 s SLA): it escalates to ADMIN; HIGH is not due again before highDue + 31 s.
    clock = mediumDue + 500;
    expect(await scheduler.tick()).toBe(1);
    expect(await deps.store.collection(approvalRequests).get(scope, medium.id)).toMatchObject({ assignedRole: 'ADMIN', escalations: 1 });
    expect((await deps.store.collection(approvalRequests).get(scope, high.id))?.breachedAtTop).toBe(false);

    // HIGH passes its second SLA at OWNER, the top: marked once, never again.
    clock = highDue + 32_000;
    expect(await scheduler.tick()).toBe(1);
    const h2 = await deps.store.collection(approvalRequests).get(scope, high.id);
    expect(h2).toMatchObject({ assignedRole: 'OWNER', breachedAtTop: true, escalations: 1 });
    expect(h2?.steps.map((s) => s.action)).toEqual(['ROUTED', 'ESCALATED', 'SLA_BREACHED_AT_TOP']);
    clock = highDue + 40_000;
    expect(await scheduler.tick()).toBe(0);

    // Deciding the rest empties the index on the next pass.
    await decideApproval(deps, owner, { id: medium.id, approve: true });
    await decideApproval(deps, owner, { id: high.id, approve: false, note: 'Not for pilots' });
    clock = mediumDue + 200_000;
    expect(await scheduler.tick()).toBe(0);
    expect(await deps.store.collection(approvalDue).get(platform, TENANT)).toBeNull();
  }, 30_000);
});

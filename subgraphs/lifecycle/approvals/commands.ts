import { PLATFORM_TENANT_ID, requirePrincipal, requireScope, systemScope, type RequestContext, type TenantScope } from '../../../platform/context.ts';
import { DomainError, forbidden, inputError, notFound } from '../../../platform/errors.ts';
import { newId } from '../../../platform/ids.ts';
import type { ProvenanceRecord } from '../../../platform/provenance/provenance.ts';
import type { SubgraphDeps } from '../../../platform/server.ts';
import type { Filter } from '../../../platform/store/port.ts';
import { clampFirst } from '../../../platform/store/transaction.ts';
import { connectionOf } from '../commands.ts';
import { createDueLoop } from '../due-loop.ts';
import { checkRequest, checkSlaSeconds, DEFAULT_SLA_SECONDS, escalationOf, mayDecide, routeApproval, type ApprovalRisk, type ApprovalType } from '../domain/approvals.ts';
import { approvalDue, approvalPolicies, approvalRequests, type ApprovalRequestDoc, type ApprovalRequestModel, type ApprovalStatus } from '../store.ts';

/** Approval routing: requests routed by type, risk and amount, SLA deadlines, auto-escalation by a scheduler, decisions. */

const POLICY_ID = 'approvals';
export const APPROVAL_SCHEDULER = 'lifecycle-approval-escalation';
const SYSTEM_ACTOR = { id: APPROVAL_SCHEDULER, kind: 'system' as const };
const TOPIC = 'agent_action_events';

const platformScope = (): TenantScope => systemScope(PLATFORM_TENANT_ID, 'approval escalation due index');
const isStoreRace = (error: unknown): boolean => error instanceof DomainError && (error.code === 'CONFLICT' || error.code === 'ALREADY_EXISTS' || error.code === 'NOT_FOUND');

const txOptions = (ctx: RequestContext, action: string) => {
  const principal = requirePrincipal(ctx);
  return { action: `lifecycle.${action}`, actor: { id: principal.subject, kind: principal.kind }, correlationId: ctx.correlationId };
};

// ------------------------------------------------------------------------------------- policy

export const approvalPolicy = async (deps: SubgraphDeps, ctx: RequestContext): Promise<{ slaSeconds: Record<ApprovalRisk, number>; provenance: ProvenanceRecord }> => {
  const stored = await deps.store.collection(approvalPolicies).get(requireScope(ctx), POLICY_ID);
  if (stored) return stored;
  return { slaSeconds: { ...DEFAULT_SLA_SECONDS }, provenance: deps.provenance.build({ method: 'SYSTEM', inputs: DEFAULT_SLA_SECONDS, explanation: 'Default approval SLAs (HIGH 2 h, MEDIUM 8 h, LOW 24 h); the organization has not set its own' }, ctx.correlationId) };
};

export const setApprovalPolicy = async (deps: SubgraphDeps, ctx: RequestContext, input: { slaSeconds: Record<ApprovalRisk, number> }) => {
  const scope = requireScope(ctx);
  const slaSeconds = checkSlaSeconds(input.slaSeconds);
  const existing = await deps.store.collection(approvalPolicies).get(scope, POLICY_ID);
  const provenance = deps.provenance.build({ method: 'HUMAN', inputs: slaSeconds, explanation: 'Approval SLAs set by an organization administrator' }, ctx.correlationId);
  return deps.store.transaction(scope, txOptions(ctx, 'setApprovalPolicy'), (tx) => (existing ? tx.update(approvalPolicies, existing, { slaSeconds }, provenance) : tx.insert(approvalPolicies, { id: POLICY_ID, slaSeconds }, provenance)));
};

// ---------------------------------------------------------------------------------- due index

/** Records in the platform-scoped index that `tenantId` has a pending approval due at `dueAt` (keeps the earliest). */
export const markApprovalDue = async (deps: SubgraphDeps, tenantId: string, dueAt: string, correlationId: string): Promise<void> => {
  const scope = platformScope();
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const existing = await deps.store.collection(approvalDue).get(scope, tenantId);
    if (existing && existing.dueAt <= dueAt) return;
    try {
      await deps.store.transaction(scope, { action: 'lifecycle.approvalDue', actor: SYSTEM_ACTOR, correlationId, audit: false }, (tx) => {
        if (existing) tx.update(approvalDue, existing, { dueAt });
        else tx.insert(approvalDue, { id: tenantId, dueAt }, deps.provenance.build({ method: 'SYSTEM', inputs: { tenantId, dueAt }, explanation: 'Approval SLA due' }, correlationId));
      });
      return;
    } catch (error) {
      if (!isStoreRace(error)) throw error;
    }
  }
  throw new DomainError('CONFLICT', 'The approval schedule is busy', { hint: 'Try again in a moment.', retryAfterSeconds: 1 });
};

// ----------------------------------------------------------------------------------- requests

export interface RequestApprovalInput {
  type: ApprovalType;
  risk: ApprovalRisk;
  amount: number;
  title: string;
  details?: string | null;
  subjectTypename?: string | null;
  subjectId?: string | null;
}

/** Routes a request: LOW risk small amounts are approved at once; the rest go to an approver role with an SLA deadline. */
export const requestApproval = async (deps: SubgraphDeps, ctx: RequestContext, input: RequestApprovalInput, kick: () => void): Promise<ApprovalRequestModel> => {
  const scope = requireScope(ctx);
  const principal = requirePrincipal(ctx);
  const facts = checkRequest({ type: input.type, risk: input.risk, amount: input.amount });
  const title = input.title.trim();
  if (title.length < 3 || title.length > 200) throw inputError('input.title', 'title must be 3–200 characters', 'Say what needs approval, e.g. "15% discount for Acme renewal".');
  const details = (input.details ?? '').trim();
  if (details.length > 5000) throw inputError('input.details', 'details must be at most 5,000 characters', 'Summarize; link to the full context.');
  if ((input.subjectTypename ? 1 : 0) + (input.subjectId ? 1 : 0) === 1) throw inputError('input.subjectId', 'subjectTypename and subjectId go together', 'Give both, or neither.');
  const policy = await deps.store.collection(approvalPolicies).get(scope, POLICY_ID);
  const routing = routeApproval(facts, policy?.slaSeconds ?? DEFAULT_SLA_SECONDS);
  const now = new Date();
  const at = now.toISOString();
  const provenance = deps.provenance.build({ method: 'RULE', inputs: { ...facts, slaSeconds: policy?.slaSeconds ?? DEFAULT_SLA_SECONDS }, explanation: routing.reason, confidence: 1 }, ctx.correlationId);
  const deadline = routing.outcome === 'PENDING' ? new Date(now.getTime() + routing.slaSeconds * 1000).toISOString() : null;
  if (deadline) await markApprovalDue(deps, scope.tenantId, deadline, ctx.correlationId);
  const auto = routing.outcome === 'AUTO_APPROVED';
  const doc: ApprovalRequestDoc = {
    ...facts,
    title,
    details,
    subjectTypename: input.subjectTypename ?? null,
    subjectId: input.subjectId ?? null,
    requestedBy: principal.subject,
    status: auto ? 'AUTO_APPROVED' : 'PENDING',
    chain: routing.chain,
    level: routing.level,
    assignedRole: routing.role,
    slaSeconds: routing.slaSeconds,
    slaDeadline: deadline,
    escalations: 0,
    breachedAtTop: false,
    decidedBy: null,
    decidedAt: auto ? at : null,
    decisionNote: auto ? routing.reason : null,
    steps: [{ at, action: auto ? 'AUTO_APPROVED' : 'ROUTED', role: routing.role, detail: routing.reason }],
    taskId: null,
  };
  const stored = await deps.store.transaction(scope, txOptions(ctx, 'requestApproval'), (tx) => {
    const request = tx.insert(approvalRequests, { id: newId(), ...doc }, provenance);
    const subject = { typename: 'ApprovalRequest', id: request.id };
    tx.emit({ type: 'approval.requested', topic: TOPIC, subject, payload: { title, type: facts.type, risk: facts.risk, amount: facts.amount, assignedRole: routing.role, slaDeadline: deadline } }, provenance);
    if (auto) tx.emit({ type: 'approval.auto_approved', topic: TOPIC, subject, payload: { title, reason: routing.reason } }, provenance);
    return request;
  });
  if (deadline) {
    // Again after the commit: a scheduler pass that ran in between may have dropped the entry.
    await markApprovalDue(deps, scope.tenantId, deadline, ctx.correlationId);
    kick();
  }
  return stored;
};

/** Approves or rejects a pending request: only its assigned role, a role above it in the chain, or PLATFORM_ADMIN; never the requester. */
export const decideApproval = async (deps: SubgraphDeps, ctx: RequestContext, args: { id: string; approve: boolean; note?: string | null }): Promise<ApprovalRequestModel> => {
  const scope = requireScope(ctx);
  const principal = requirePrincipal(ctx);
  const note = (args.note ?? '').trim();
  if (note.length > 2000) throw inputError('note', 'note must be at most 2,000 characters', 'Give the rationale in a few sentences.');
  if (!args.approve && note.length < 3) throw inputError('note', 'a rejection needs a rationale of at least 3 characters', 'Say why the request is rejected.');
  const request = await deps.store.collection(approvalRequests).get(scope, args.id);
  if (!request) throw notFound('ApprovalRequest');
  if (request.status !== 'PENDING' || !request.assignedRole) throw inputError('id', `the request is already ${request.status}`, 'Pick a pending request (approvalInbox).');
  if (request.requestedBy === principal.subject) throw forbidden('You cannot decide your own request', 'Another approver must decide it (separation of duties).');
  if (!mayDecide(principal.roles, request.chain, request.assignedRole)) throw forbidden(`The request waits for ${request.assignedRole}`, `Only ${request.chain.slice(request.chain.indexOf(request.assignedRole)).join(' or ')} may decide it.`);
  const status: ApprovalStatus = args.approve ? 'APPROVED' : 'REJECTED';
  const at = new Date().toISOString();
  const provenance = deps.provenance.build({ method: 'HUMAN', inputs: { requestId: request.id, status, note, role: request.assignedRole }, explanation: `${status === 'APPROVED' ? 'Approved' : 'Rejected'} by a person holding ${principal.roles.join(', ')}${note ? `: ${note}` : ''}` }, ctx.correlationId);
  return deps.store.transaction(scope, txOptions(ctx, 'decideApproval'), (tx) => {
    const updated = tx.update(
      approvalRequests,
      request,
      { status, decidedBy: principal.subject, decidedAt: at, decisionNote: note || null, steps: [...request.steps, { at, action: status, role: request.assignedRole, detail: note || status.toLowerCase() }] },
      provenance,
    );
    tx.emit({ type: status === 'APPROVED' ? 'approval.approved' : 'approval.rejected', topic: TOPIC, subject: { typename: 'ApprovalRequest', id: request.id }, payload: { title: request.title, role: request.assignedRole, note: note || null } }, provenance);
    return updated;
  });
};

export const listApprovalRequests = async (deps: SubgraphDeps, ctx: RequestContext, args: { status?: ApprovalStatus | null; first?: number | null; after?: string | null }) => {
  const filter: Filter = args.status ? { status: args.status } : {};
  return connectionOf(await deps.store.collection(approvalRequests).page(requireScope(ctx), filter, { first: clampFirst(args.first), after: args.after }));
};

const INBOX_LIMIT = 1000;

/** Pending requests the caller may decide (not their own), earliest deadline first. */
export const approvalInbox = async (deps: SubgraphDeps, ctx: RequestContext): Promise<ApprovalRequestModel[]> => {
  const principal = requirePrincipal(ctx);
  const pending = await deps.store.collection(approvalRequests).find(requireScope(ctx), { status: 'PENDING' }, { sort: { field: 'slaDeadline', direction: 1 }, limit: INBOX_LIMIT });
  return pending.filter((r) => r.assignedRole !== null && r.requestedBy !== principal.subject && mayDecide(principal.roles, r.chain, r.assignedRole));
};

// ---------------------------------------------------------------------------------- escalation

/** Escalates one overdue request: the next role with a fresh SLA, or marks the breach at the top of the chain (once). */
const escalateOne = async (deps: SubgraphDeps, scope: TenantScope, request: ApprovalRequestModel, now: Date): Promise<boolean> => {
  if (request.status !== 'PENDING' || request.slaDeadline === null || request.slaSeconds === null || request.breachedAtTop) return false;
  const next = escalationOf(request.chain, request.level);
  const at = now.toISOString();
  const correlationId = newId();
  const deadline = next ? new Date(now.getTime() + request.slaSeconds * 1000).toISOString() : null;
  const detail = next ? `SLA of ${request.slaSeconds} s passed at ${request.slaDeadline} without a decision by ${request.assignedRole}: escalated to ${next.role}` : `SLA passed at ${request.slaDeadline} at the top of the chain (${request.assignedRole}); no higher approver`;
  const provenance = deps.provenance.build({ method: 'RULE', inputs: { requestId: request.id, level: request.level, chain: request.chain, deadline: request.slaDeadline, now: at }, explanation: detail, confidence: 1 }, correlationId);
  if (deadline) await markApprovalDue(deps, scope.tenantId, deadline, correlationId);
  try {
    await deps.store.transaction(scope, { action: 'lifecycle.approvalEscalation', actor: SYSTEM_ACTOR, correlationId, audit: true }, (tx) => {
      const subject = { typename: 'ApprovalRequest', id: request.id };
      if (next) {
        tx.update(approvalRequests, request, { level: next.level, assignedRole: next.role, slaDeadline: deadline, escalations: request.escalations + 1, steps: [...request.steps, { at, action: 'ESCALATED', role: next.role, detail }] }, provenance);
        tx.emit({ type: 'approval.escalated', topic: TOPIC, subject, payload: { title: request.title, from: request.assignedRole, to: next.role, slaDeadline: deadline, escalations: request.escalations + 1 } }, provenance);
      } else {
        tx.update(approvalRequests, request, { breachedAtTop: true, steps: [...request.steps, { at, action: 'SLA_BREACHED_AT_TOP', role: request.assignedRole, detail }] }, provenance);
        tx.emit({ type: 'approval.sla_breached', topic: TOPIC, subject, payload: { title: request.title, role: request.assignedRole } }, provenance);
      }
    });
    return true;
  } catch (error) {
    // Decided by a person while the escalation was computed: their write wins.
    if (isStoreRace(error)) return false;
    throw error;
  }
};

export interface ApprovalScheduler {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Asks for a tick soon (after a new deadline). */
  kick(): void;
  /** One pass over every tenant with deadlines due; resolves with the number of escalations. */
  tick(): Promise<number>;
}

/**
 * The escalation scheduler: each tick reads the platform-scoped due index, escalates every overdue
 * pending request of each due tenant, then re-indexes the tenant's earliest remaining deadline. The
 * next tick is timed for the earliest due entry, at most `pollMs` away (configurable for tests).
 */
export const createApprovalScheduler = (deps: SubgraphDeps, options: { pollMs?: number; now?: () => Date } = {}): ApprovalScheduler => {
  const pollMs = options.pollMs ?? 1000;
  const now = options.now ?? (() => new Date());

  const processTenant = async (tenantId: string): Promise<number> => {
    const scope = systemScope(tenantId, 'approval escalation');
    const reader = deps.store.collection(approvalRequests);
    const at = now();
    const overdue = await reader.find(scope, { status: 'PENDING', breachedAtTop: false, slaDeadline: { $lte: at.toISOString() } }, { sort: { field: 'slaDeadline', direction: 1 }, limit: 500 });
    let escalated = 0;
    for (const request of overdue) {
      if (loop.stopped()) break;
      if (await escalateOne(deps, scope, request, at)) escalated += 1;
    }
    const [next] = await reader.find(scope, { status: 'PENDING', breachedAtTop: false }, { sort: { field: 'slaDeadline', direction: 1 }, limit: 1 });
    const entry = await deps.store.collection(approvalDue).get(platformScope(), tenantId);
    if (entry) {
      try {
        await deps.store.transaction(platformScope(), { action: 'lifecycle.approvalDue', actor: SYSTEM_ACTOR, correlationId: newId(), audit: false }, (tx) => {
          if (next?.slaDeadline) tx.update(approvalDue, entry, { dueAt: next.slaDeadline });
          else tx.remove(approvalDue, entry);
        });
      } catch (error) {
        // A new request touched the entry meanwhile; its earlier due time stands.
        if (!isStoreRace(error)) throw error;
      }
    }
    return escalated;
  };

  const pass = async (): Promise<number> => {
    const due = await deps.store.collection(approvalDue).find(platformScope(), { dueAt: { $lte: now().toISOString() } }, { sort: { field: 'dueAt', direction: 1 }, limit: 100 });
    let escalated = 0;
    for (const entry of due) {
      if (loop.stopped()) break;
      try {
        escalated += await processTenant(entry.id);
      } catch (error) {
        deps.logger.error({ err: error, tenantId: entry.id }, 'Approval escalation failed for a tenant');
      }
    }
    return escalated;
  };

  const earliestDue = async (): Promise<string | null> => {
    const [first] = await deps.store.collection(approvalDue).find(platformScope(), {}, { sort: { field: 'dueAt', direction: 1 }, limit: 1 });
    return first?.dueAt ?? null;
  };

  const loop = createDueLoop({ pollMs, now, logger: deps.logger, what: 'Approval escalation', pass, earliestDue });
  return { start: loop.start, stop: loop.stop, kick: loop.kick, tick: loop.tick };
};

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { GraphQLError, getNamedType, parse, validate, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Context } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Principal } from '../../platform/auth/tokens.ts';
import type { EventEnvelope } from '../../platform/events/envelope.ts';
import type { BusSubscription, EventBus } from '../../platform/events/port.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Gateway, UpgradeHandler } from '../index.ts';
import { liveSpecsOf, type LiveSpec } from './live.ts';
import { nextFrame, nextFramePrefix, nextPayloadJson, type Resolved } from './frames.ts';
import { planRefetch, REFETCH_ID_VARIABLE, type RefetchPlan } from './refetch.ts';
import { isEventId, ReplayWindow } from './replay.ts';

/**
 * Federated subscriptions for @apollo/gateway (which has none): graphql-ws on /graphql.
 * - Event sources come from the supergraph: `@live(topics:, types:, refetch:)` on Subscription fields.
 * - One bus consumer group per engine instance (`gateway-<random>`), so several gateway instances on
 *   one bus each receive every event and deliver to their own sockets.
 * - Per event and per subscriber, the subscriber's selection is resolved through the gateway's own
 *   planner as a refetch `query($liveId: ID!) { <refetch>(id: $liveId) { ...selection } }`, run AS the
 *   subscriber (its bearer token is forwarded), so the owning subgraphs apply their tenant, role and
 *   privacy rules. Subscribers with the same refetch text, selection variables, tenant, roles, scopes
 *   (and admin / assignment) share one resolution per event.
 * - Refetch id: `event.subject.id` when the subject's typename is the field's type (e.g. an Alert
 *   event refetches `alert(id: subject.id)`); otherwise the event id (read models keyed by event id,
 *   e.g. one TimelineEvent per domain event).
 * Delivery (the hot path, see ARCHITECTURE.md "Subscription delivery"):
 * - Subscriptions are indexed tenant → resolution group (share key) → delivery group (alias, `kinds`,
 *   result filters) → subscriptions. Per event: one pending entry per routed resolution group, one
 *   resolution, one `JSON.stringify` of the payload per delivery group, then one pre-built
 *   graphql-transport-ws `next` frame string per socket (frames.ts; byte-identical to graphql-ws's).
 *   No per-subscriber promise, Map or stringify per event.
 * - Order: each resolution group delivers its pending entries strictly in arrival order (a late
 *   resolution holds the later ones); a subscription only receives events dispatched after it
 *   joined (sequence numbers), and `after:` replays go through a per-subscription backlog that live
 *   frames queue behind until the replay is out.
 * - Batching: deliveries run in the check phase, and after a pass of d ms the next one waits
 *   `fanOutPauseRatio × d` ms, so under load several events go out per socket in one corked write.
 * - Bounds: a socket over `maxBufferedBytes`, a replay backlog over `queueLimit`, or a resolution
 *   group `queueLimit` events behind is closed with 4429.
 * - graphql-ws still owns the protocol (connection_init/ack, subscribe, complete, errors, ping); the
 *   iterator it gets never yields and only ends the subscription.
 */

export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_FORBIDDEN = 4403;
export const CLOSE_SLOW_CONSUMER = 4429;

export interface SubscriptionEngineOptions {
  gateway: Pick<Gateway, 'execute' | 'apiSchema' | 'supergraphSdl' | 'verifier'>;
  bus: EventBus;
  logger?: Logger;
  /** Messages queued per subscription before the socket is closed with 4429 (default 256). */
  queueLimit?: number;
  /** Bytes buffered on a socket before it is closed with 4429 (default 4 MB). */
  maxBufferedBytes?: number;
  /** Replay window per tenant (see replay.ts): count (default 10,000) and age (default 1 h). */
  replayPerTenant?: number;
  replayMaxAgeMs?: number;
  /** Waits before retrying a refetch that found nothing (the read model may lag the event). Default [25, 100, 400]. */
  notFoundRetriesMs?: readonly number[];
  /** Grace before a closed slow consumer's TCP connection is destroyed (default 5 s). */
  closeGraceMs?: number;
  /** Bus consumer group (default `gateway-<random>`). */
  group?: string;
  /**
   * Adaptive batching: after a fan-out pass that took d ms, the next pass starts at the earliest
   * `fanOutPauseRatio × d` ms later (default 1, i.e. fan-out takes at most about half of the event
   * loop). Idle, a pass of 1,000 sockets takes a few ms and events are not delayed; saturated or
   * starved of CPU, the events that resolve meanwhile go out together, one write per socket.
   * 0 disables it.
   */
  fanOutPauseRatio?: number;
  /** Metrics hook (the bench uses it): called once an event's frames for a delivery group were handed to the sockets. */
  onDelivered?: (event: EventEnvelope, frames: number) => void;
}

/** Counters the tests and the bench read. */
export interface SubscriptionStats {
  events: number;
  duplicates: number;
  resolutions: number;
  deliveries: number;
  dropped: number;
  slowConsumerCloses: number;
  connections: number;
  subscriptions: number;
  /** Subscriptions ever opened (monotonic). */
  opened: number;
}

export interface SubscriptionEngine extends UpgradeHandler {
  readonly group: string;
  readonly stats: SubscriptionStats;
  readonly specs: ReadonlyMap<string, LiveSpec>;
}

interface Connection {
  principal: Principal;
  token: string;
  timer: NodeJS.Timeout | null;
  /** Authorization scope: tenant, roles, scopes, admin, assignment (part of the share key). */
  scope: string;
}

interface LiveContext {
  id: string;
  plan: RefetchPlan;
  connection: Connection;
  socket: WebSocket;
}

type Extra = { socket: WebSocket; request: IncomingMessage };

/** ws keeps its net.Socket in `_socket` (used only to cork a batch of frames into one write). */
type Corkable = { _socket?: { cork(): void; uncork(): void } | null };

const closeReason = (text: string): string => {
  const buffer = Buffer.from(text);
  return buffer.length <= 123 ? text : `${buffer.subarray(0, 120).toString('utf8').replace(/\uFFFD$/, '')}...`;
};

const gqlError = (message: string, code: string, hint: string): GraphQLError => new GraphQLError(message, { extensions: { code, hint } });

const scopeOf = (p: Principal): string => JSON.stringify([p.tenantId, [...p.roles].sort(), [...p.scopes].sort(), p.platformAdmin, p.assignmentId ?? null]);

/** Envelope-level routing of a plan: topic, declared types, `kinds`. (Tenant is routed by the index.) */
const routes = (plan: RefetchPlan, event: EventEnvelope): boolean => {
  const { spec, kinds } = plan;
  if (!spec.topics.includes(event.topic)) return false;
  if (spec.types && !spec.types.includes(event.type)) return false;
  if (kinds && !kinds.includes(event.type)) return false;
  return true;
};

/**
 * Subscribers that share one resolution per event: same Subscription field, refetch text, selection
 * variables and authorization scope (tenant, roles, scopes, admin, assignment).
 */
interface ResolutionGroup {
  key: string;
  tenant: string;
  plan: RefetchPlan;
  /** Delivery groups by delivery key. */
  deliveries: Map<string, DeliveryGroup>;
  /** Events routed to this group, in arrival order, waiting for their resolution. */
  pending: Pending[];
  drainQueued: boolean;
}

/**
 * Members of a resolution group that also share the delivered bytes: same response key (alias),
 * `kinds` and result filters, so one serialized payload serves all of them.
 */
interface DeliveryGroup {
  key: string;
  plan: RefetchPlan;
  group: ResolutionGroup;
  subs: Set<LiveSubscription>;
}

interface Pending {
  seq: number;
  event: EventEnvelope;
  targets: DeliveryGroup[];
  settled: boolean;
  resolved: Resolved | null;
}

interface Frame {
  seq: number;
  event: EventEnvelope;
  payload: string;
  /** Frames handed to sockets. */
  sent: number;
}

/**
 * One subscription. It is also the AsyncIterator handed to graphql-ws, which never yields from it:
 * `next` frames are written to the socket by the fan-out (pre-serialized), and graphql-ws keeps the
 * protocol (connection_init, subscribe, complete, errors, ping). `return()` (client `complete`,
 * socket close, server dispose) unregisters the subscription.
 */
class LiveSubscription implements AsyncIterableIterator<ExecutionResult> {
  readonly socket: WebSocket;
  readonly connection: Connection;
  readonly delivery: DeliveryGroup;
  /** `{"id":…,"type":"next","payload":` */
  readonly prefix: string;
  /** Events with a sequence number at or below this were dispatched before the subscription existed. */
  readonly joinedSeq: number;
  /** Non-null while `after:` replay is in flight: frames (or pending replay frames) in delivery order. */
  backlog: Array<string | Promise<string | null>> | null = null;
  ended = false;
  private release: ((result: IteratorResult<ExecutionResult>) => void) | null = null;
  private readonly onEnd: (sub: LiveSubscription) => void;

  constructor(id: string, socket: WebSocket, connection: Connection, delivery: DeliveryGroup, joinedSeq: number, onEnd: (sub: LiveSubscription) => void) {
    this.socket = socket;
    this.connection = connection;
    this.delivery = delivery;
    this.prefix = nextFramePrefix(id);
    this.joinedSeq = joinedSeq;
    this.onEnd = onEnd;
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.release = resolve;
    });
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    if (!this.ended) {
      this.ended = true;
      this.backlog = null;
      this.onEnd(this);
      const release = this.release;
      this.release = null;
      release?.({ value: undefined, done: true });
    }
    return { value: undefined, done: true };
  }

  async throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    await this.return();
    throw error;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ExecutionResult> {
    return this;
  }
}

export const createSubscriptionEngine = async (options: SubscriptionEngineOptions): Promise<SubscriptionEngine> => {
  const { gateway, bus, logger, onDelivered } = options;
  const queueLimit = options.queueLimit ?? 256;
  const maxBufferedBytes = options.maxBufferedBytes ?? 4 * 1024 * 1024;
  const retries = options.notFoundRetriesMs ?? [25, 100, 400];
  const closeGraceMs = options.closeGraceMs ?? 5000;
  const group = options.group ?? `gateway-${randomBytes(6).toString('hex')}`;
  const specs = liveSpecsOf(gateway.supergraphSdl);
  const window = new ReplayWindow({ perTenant: options.replayPerTenant, maxAgeMs: options.replayMaxAgeMs });
  const stats: SubscriptionStats = { events: 0, duplicates: 0, resolutions: 0, deliveries: 0, dropped: 0, slowConsumerCloses: 0, connections: 0, subscriptions: 0, opened: 0 };
  /** tenant → resolution key → group. */
  const byTenant = new Map<string, Map<string, ResolutionGroup>>();
  const connections = new WeakMap<object, Connection>();
  const timers = new Set<NodeJS.Timeout>();
  const documents = new Map<string, DocumentNode>();
  /** Plans are immutable: identical subscribe payloads share one (memory per idle subscriber). */
  const plans = new Map<string, RefetchPlan>();
  const fieldTypes = new Map<string, string>();
  /** Sequence number of the last event dispatched (joins after it do not receive it live). */
  let seq = 0;
  let drainQueue: ResolutionGroup[] = [];
  let drainScheduled: { immediate: NodeJS.Immediate } | { timer: NodeJS.Timeout } | null = null;
  const pauseRatio = options.fanOutPauseRatio ?? 1;
  /** performance.now() before which no fan-out pass starts (see fanOutPauseRatio). */
  let nextPassAt = 0;
  let closing: Promise<void> | null = null;

  const slowConsumer = (socket: WebSocket): void => {
    if (socket.readyState !== socket.OPEN) return;
    stats.slowConsumerCloses += 1;
    logger?.warn({ bufferedAmount: socket.bufferedAmount }, 'subscription: slow consumer closed');
    socket.close(CLOSE_SLOW_CONSUMER, 'Slow consumer: buffer limit exceeded');
    // A peer that never reads never reads the close frame either: free the connection after a grace.
    const timer = setTimeout(() => {
      timers.delete(timer);
      socket.terminate();
    }, closeGraceMs);
    timer.unref();
    timers.add(timer);
  };

  const register = (id: string, plan: RefetchPlan, connection: Connection, socket: WebSocket): LiveSubscription => {
    const tenant = connection.principal.tenantId;
    let groups = byTenant.get(tenant);
    if (!groups) {
      groups = new Map();
      byTenant.set(tenant, groups);
    }
    const resolutionKey = JSON.stringify([plan.spec.field, plan.query, plan.variables, connection.scope]);
    let rg = groups.get(resolutionKey);
    if (!rg) {
      rg = { key: resolutionKey, tenant, plan, deliveries: new Map(), pending: [], drainQueued: false };
      groups.set(resolutionKey, rg);
    }
    const deliveryKey = JSON.stringify([plan.responseKey, plan.kinds, plan.filters]);
    let dg = rg.deliveries.get(deliveryKey);
    if (!dg) {
      dg = { key: deliveryKey, plan, group: rg, subs: new Set() };
      rg.deliveries.set(deliveryKey, dg);
    }
    const sub = new LiveSubscription(id, socket, connection, dg, seq, unregister);
    dg.subs.add(sub);
    stats.subscriptions += 1;
    stats.opened += 1;
    return sub;
  };

  const unregister = (sub: LiveSubscription): void => {
    const dg = sub.delivery;
    if (!dg.subs.delete(sub)) return;
    stats.subscriptions -= 1;
    if (dg.subs.size > 0) return;
    const rg = dg.group;
    rg.deliveries.delete(dg.key);
    if (rg.deliveries.size > 0) return;
    const groups = byTenant.get(rg.tenant);
    groups?.delete(rg.key);
    if (groups?.size === 0) byTenant.delete(rg.tenant);
  };

  const refetchId = (plan: RefetchPlan, event: EventEnvelope): string => {
    let typeName = fieldTypes.get(plan.spec.field);
    if (typeName === undefined) {
      const field = gateway.apiSchema?.getSubscriptionType()?.getFields()[plan.spec.field];
      typeName = field ? getNamedType(field.type).name : '';
      fieldTypes.set(plan.spec.field, typeName);
    }
    return event.subject.typename === typeName ? event.subject.id : event.id;
  };

  /** One refetch through the gateway, as `connection`'s principal. Null = nothing this scope may see. */
  const resolve = async (plan: RefetchPlan, connection: Connection, event: EventEnvelope): Promise<Resolved | null> => {
    const variables = { ...plan.variables, [REFETCH_ID_VARIABLE]: refetchId(plan, event) };
    const context = { principal: connection.principal, correlationId: event.correlationId, forward: { authorization: `Bearer ${connection.token}`, 'x-correlation-id': event.correlationId } };
    for (let attempt = 0; ; attempt += 1) {
      // A closed engine stops retrying (the gateway may be stopping too).
      if (closing) return null;
      stats.resolutions += 1;
      let result: Awaited<ReturnType<typeof gateway.execute>>;
      try {
        result = await gateway.execute(plan.query, variables, context);
      } catch (error) {
        logger?.error({ err: error, eventId: event.id }, 'subscription refetch failed');
        return null;
      }
      const value = result.data?.[plan.spec.refetch];
      const codes = (result.errors ?? []).map((e) => String(e.extensions?.code ?? ''));
      if (codes.some((c) => c === 'FORBIDDEN' || c === 'UNAUTHENTICATED')) return null;
      if (value && typeof value === 'object' && !codes.includes('NOT_FOUND')) return { value: value as Record<string, unknown>, ...(result.errors?.length ? { errors: result.errors } : {}) };
      // Not found (yet): the owning read model may lag the bus. Retry briefly, then drop.
      if (attempt >= retries.length || closing) return null;
      await new Promise((r) => setTimeout(r, retries[attempt]));
    }
  };

  /**
   * A member whose token the refetch can forward (all members share the authorization scope): open
   * socket and unexpired token (a socket closed for expiry stays registered until its close completes).
   */
  const memberOf = (rg: ResolutionGroup): Connection | null => {
    const now = Date.now();
    for (const dg of rg.deliveries.values()) {
      for (const sub of dg.subs) if (sub.socket.readyState === sub.socket.OPEN && sub.connection.principal.expiresAt * 1000 > now) return sub.connection;
    }
    return null;
  };

  /** Writes one frame now (or behind the subscription's replay backlog). */
  const write = (sub: LiveSubscription, frame: Frame): void => {
    const text = nextFrame(sub.prefix, frame.payload);
    frame.sent += 1;
    if (sub.backlog) {
      if (sub.backlog.length >= queueLimit) return slowConsumer(sub.socket);
      sub.backlog.push(text);
      return;
    }
    sub.socket.send(text);
    stats.deliveries += 1;
  };

  /** Sends `frames` (in order) to every member of `dg` that existed when each event was dispatched. */
  const fanOut = (dg: DeliveryGroup, frames: Frame[]): void => {
    const single = frames.length === 1 ? frames[0] : null;
    for (const sub of dg.subs) {
      const socket = sub.socket;
      if (socket.readyState !== socket.OPEN) continue;
      if (socket.bufferedAmount > maxBufferedBytes) {
        slowConsumer(socket);
        continue;
      }
      if (single) {
        if (single.seq > sub.joinedSeq) write(sub, single);
        continue;
      }
      // Several events resolved since the last pass: one write (one syscall) for all of them.
      const raw = (socket as unknown as Corkable)._socket;
      raw?.cork();
      for (const frame of frames) if (frame.seq > sub.joinedSeq) write(sub, frame);
      raw?.uncork();
    }
    if (onDelivered) for (const frame of frames) onDelivered(frame.event, frame.sent);
  };

  /** Delivers the settled head of `rg`'s pending queue, in event order. */
  const drain = (rg: ResolutionGroup): void => {
    rg.drainQueued = false;
    let ready = 0;
    while (ready < rg.pending.length && rg.pending[ready].settled) ready += 1;
    if (ready === 0) return;
    const settled = rg.pending.splice(0, ready);
    for (const dg of rg.deliveries.values()) {
      let frames: Frame[] | null = null;
      for (const entry of settled) {
        if (!entry.targets.includes(dg)) continue;
        const payload = entry.resolved ? nextPayloadJson(dg.plan, entry.resolved) : null;
        if (payload === null) {
          stats.dropped += dg.subs.size;
          continue;
        }
        (frames ??= []).push({ seq: entry.seq, event: entry.event, payload, sent: 0 });
      }
      if (frames) fanOut(dg, frames);
    }
  };

  const drainAll = (): void => {
    drainScheduled = null;
    const started = performance.now();
    const queue = drainQueue;
    drainQueue = [];
    for (const rg of queue) drain(rg);
    const ended = performance.now();
    nextPassAt = ended + (ended - started) * pauseRatio;
  };

  /** Deliver in the check phase (every resolution that settled in the same I/O pass goes in one batch), or after the pause. */
  const scheduleDrain = (rg: ResolutionGroup): void => {
    rg.drainQueued = true;
    drainQueue.push(rg);
    if (drainScheduled) return;
    const wait = nextPassAt - performance.now();
    drainScheduled = wait >= 1 ? { timer: setTimeout(drainAll, wait) } : { immediate: setImmediate(drainAll) };
  };

  /** Queues `event` for one resolution group: one shared resolution, delivered in arrival order. */
  const enqueue = (rg: ResolutionGroup, event: EventEnvelope, targets: DeliveryGroup[]): void => {
    const connection = memberOf(rg);
    if (!connection) return;
    if (rg.pending.length >= queueLimit) {
      // Resolutions are not keeping up with this group's events: bounded, like a slow consumer.
      for (const dg of rg.deliveries.values()) for (const sub of dg.subs) slowConsumer(sub.socket);
      return;
    }
    const entry: Pending = { seq, event, targets, settled: false, resolved: null };
    rg.pending.push(entry);
    void resolve(rg.plan, connection, event).then((resolved) => {
      entry.resolved = resolved;
      entry.settled = true;
      if (!rg.drainQueued && rg.pending[0] === entry) scheduleDrain(rg);
    });
  };

  /** `after:` replay for one new subscription: resolved for it alone, delivered before any live event. */
  const replay = (sub: LiveSubscription, events: EventEnvelope[]): void => {
    const plan = sub.delivery.plan;
    const frames = events
      .filter((event) => routes(plan, event))
      .map(async (event) => {
        const resolved = await resolve(plan, sub.connection, event);
        const payload = resolved ? nextPayloadJson(plan, resolved) : null;
        if (payload === null) stats.dropped += 1;
        return payload === null ? null : nextFrame(sub.prefix, payload);
      });
    if (frames.length === 0) return;
    if (frames.length > queueLimit) return slowConsumer(sub.socket);
    sub.backlog = frames;
    void (async () => {
      while (sub.backlog && sub.backlog.length > 0) {
        const head = sub.backlog[0];
        const frame = typeof head === 'string' ? head : await head;
        if (!sub.backlog) return;
        sub.backlog.shift();
        if (frame === null || sub.socket.readyState !== sub.socket.OPEN) continue;
        if (sub.socket.bufferedAmount > maxBufferedBytes) {
          sub.backlog = null;
          return slowConsumer(sub.socket);
        }
        sub.socket.send(frame);
        stats.deliveries += 1;
      }
      sub.backlog = null;
    })();
  };

  const topics = [...new Set([...specs.values()].flatMap((s) => s.topics))];
  const onEvent = async (event: EventEnvelope): Promise<void> => {
    try {
      stats.events += 1;
      if (!window.add(event)) {
        stats.duplicates += 1;
        return;
      }
      seq += 1;
      const groups = byTenant.get(event.tenantId);
      if (!groups) return;
      for (const rg of groups.values()) {
        let targets: DeliveryGroup[] | null = null;
        for (const dg of rg.deliveries.values()) if (routes(dg.plan, event)) (targets ??= []).push(dg);
        if (targets) enqueue(rg, event, targets);
      }
    } catch (error) {
      logger?.error({ err: error, eventId: event.id }, 'subscription dispatch failed');
    }
  };
  // No @live field in the supergraph (yet): no consumer group at all.
  const busSubscription: BusSubscription = topics.length > 0 ? await bus.subscribe({ group, topics }, onEvent) : { close: async () => undefined };

  const authenticate = async (ctx: Context<Record<string, unknown> | undefined, Extra>): Promise<boolean> => {
    const socket = ctx.extra.socket;
    const raw = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
    const match = typeof raw === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(raw) : null;
    if (!match) {
      socket.close(CLOSE_UNAUTHORIZED, closeReason(typeof raw === 'string' ? 'Unauthorized: authorization must be "Bearer <token>"' : 'Unauthorized: connection_init needs { authorization: "Bearer <token>" }'));
      return false;
    }
    if (!gateway.verifier) {
      socket.close(CLOSE_FORBIDDEN, 'Forbidden: this gateway has no token verifier');
      return false;
    }
    let principal: Principal;
    try {
      principal = await gateway.verifier.verify(match[1]);
    } catch (error) {
      socket.close(CLOSE_FORBIDDEN, closeReason(`Forbidden: ${(error as Error).message}`));
      return false;
    }
    const connection: Connection = { principal, token: match[1], timer: null, scope: scopeOf(principal) };
    const msLeft = principal.expiresAt * 1000 - Date.now();
    if (msLeft <= 0) {
      socket.close(CLOSE_UNAUTHORIZED, 'Token expired');
      return false;
    }
    connection.timer = setTimeout(() => socket.close(CLOSE_UNAUTHORIZED, 'Token expired'), Math.min(msLeft, 2_147_483_647));
    socket.once('close', () => {
      if (connection.timer) clearTimeout(connection.timer);
      stats.connections -= 1;
    });
    stats.connections += 1;
    connections.set(ctx, connection);
    return true;
  };

  const wss = new WebSocketServer({ noServer: true });
  const server = useServer<Record<string, unknown> | undefined, Extra>(
    {
      onConnect: async (ctx) => (await authenticate(ctx)) ? undefined : false,
      onSubscribe: (ctx, id, payload): ExecutionArgs | readonly GraphQLError[] => {
        const connection = connections.get(ctx);
        if (!connection) return [gqlError('Not authenticated', 'UNAUTHENTICATED', 'Send connection_init with { authorization: "Bearer <token>" } first.')];
        const schema = gateway.apiSchema;
        if (!schema) return [gqlError('The gateway is starting', 'SUBGRAPH_UNAVAILABLE', 'Retry shortly.')];
        let document = documents.get(payload.query);
        if (!document) {
          try {
            document = parse(payload.query);
          } catch (error) {
            return [error instanceof GraphQLError ? error : gqlError((error as Error).message, 'GRAPHQL_PARSE_FAILED', 'Check the subscription syntax.')];
          }
          const errors = validate(schema, document);
          if (errors.length) return errors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED', hint: 'Check the field names against the schema (Sandbox lists the Subscription fields).' } }));
          if (documents.size > 1000) documents.clear();
          documents.set(payload.query, document);
        }
        const planKey = JSON.stringify([payload.query, payload.operationName ?? null, payload.variables ?? null]);
        let plan = plans.get(planKey);
        if (!plan) {
          try {
            plan = planRefetch(schema, document, payload.operationName, payload.variables, specs);
          } catch (error) {
            return [error instanceof GraphQLError ? error : gqlError((error as Error).message, 'BAD_USER_INPUT', 'Check the subscription.')];
          }
          if (plans.size > 1000) plans.clear();
          plans.set(planKey, plan);
        }
        if (plan.after !== null) {
          if (!isEventId(plan.after)) return [gqlError(`after: "${plan.after}" is not an event id`, 'BAD_USER_INPUT', 'Pass the id of the last event you received.')];
          const replayed = window.since(connection.principal.tenantId, plan.after);
          if ('outside' in replayed) {
            return [gqlError(`Cannot resume after ${plan.after}: it is older than this gateway's replay window`, 'REPLAY_WINDOW_EXCEEDED', 'Reload the missed events with a query (e.g. Query.timeline with after:), then subscribe again without after: or with the newest id you hold.')];
          }
        }
        const context: LiveContext = { id, plan, connection, socket: ctx.extra.socket };
        return { schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue: context };
      },
      subscribe: (args) => {
        const { id, plan, connection, socket } = args.contextValue as LiveContext;
        // Live first, then replay, in one synchronous step: no event can arrive in between, so the
        // replay (events already in the window) and the live stream (events dispatched later,
        // deduplicated by id in the window) neither overlap nor leave a gap.
        const sub = register(id, plan, connection, socket);
        if (plan.after !== null) {
          const replayed = window.since(connection.principal.tenantId, plan.after);
          if ('events' in replayed) replay(sub, replayed.events);
        }
        return sub;
      },
    },
    wss,
  );

  return {
    group,
    stats,
    specs,
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    async close() {
      if (closing) return closing;
      closing = (async () => {
        await busSubscription.close();
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        if (drainScheduled && 'timer' in drainScheduled) clearTimeout(drainScheduled.timer);
        if (drainScheduled && 'immediate' in drainScheduled) clearImmediate(drainScheduled.immediate);
        drainScheduled = null;
        drainQueue = [];
        await server.dispose();
      })();
      return closing;
    },
  };
};

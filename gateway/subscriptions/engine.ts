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
import { applyFilters, planRefetch, REFETCH_ID_VARIABLE, type RefetchPlan } from './refetch.ts';
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
}

interface LiveContext {
  plan: RefetchPlan;
  connection: Connection;
  socket: WebSocket;
}

interface Resolved {
  value: Record<string, unknown>;
  errors?: ReadonlyArray<{ message: string; path?: ReadonlyArray<string | number>; extensions?: Record<string, unknown> }>;
}

interface Message {
  data: Record<string, unknown>;
  errors?: ReadonlyArray<Record<string, unknown>>;
}

type Extra = { socket: WebSocket; request: IncomingMessage };

const HIDDEN_CODES = new Set(['NOT_FOUND', 'FORBIDDEN', 'UNAUTHENTICATED']);

const closeReason = (text: string): string => {
  const buffer = Buffer.from(text);
  return buffer.length <= 123 ? text : `${buffer.subarray(0, 120).toString('utf8').replace(/\uFFFD$/, '')}...`;
};

const gqlError = (message: string, code: string, hint: string): GraphQLError => new GraphQLError(message, { extensions: { code, hint } });

/**
 * A bounded, ordered queue of pending deliveries exposed as the AsyncIterator graphql-ws consumes.
 * Items are promises (resolutions run concurrently) but are yielded in event order; a null result
 * (filtered out, not visible to this subscriber) is skipped.
 */
class DeliveryQueue implements AsyncIterableIterator<Message> {
  readonly limit: number;
  private readonly items: Array<Promise<Message | null>> = [];
  private waiter: (() => void) | null = null;
  private done = false;
  private readonly onOverflow: () => void;
  private readonly onEnd: () => void;

  constructor(limit: number, onOverflow: () => void, onEnd: () => void) {
    this.limit = limit;
    this.onOverflow = onOverflow;
    this.onEnd = onEnd;
  }

  get size(): number {
    return this.items.length;
  }

  push(item: Promise<Message | null>): void {
    if (this.done) return;
    if (this.items.length >= this.limit) {
      this.onOverflow();
      return;
    }
    this.items.push(item);
    this.wake();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }

  async next(): Promise<IteratorResult<Message>> {
    for (;;) {
      if (this.done) return { value: undefined, done: true };
      const head = this.items[0];
      if (head) {
        const message = await head;
        this.items.shift();
        if (this.done) return { value: undefined, done: true };
        if (message) return { value: message, done: false };
        continue;
      }
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  async return(): Promise<IteratorResult<Message>> {
    if (!this.done) {
      this.done = true;
      this.items.length = 0;
      this.wake();
      this.onEnd();
    }
    return { value: undefined, done: true };
  }

  async throw(error: unknown): Promise<IteratorResult<Message>> {
    await this.return();
    throw error;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Message> {
    return this;
  }
}

class LiveSubscription {
  readonly plan: RefetchPlan;
  readonly connection: Connection;
  readonly socket: WebSocket;
  readonly shareKey: string;
  readonly queue: DeliveryQueue;

  constructor(plan: RefetchPlan, connection: Connection, socket: WebSocket, queue: (self: LiveSubscription) => DeliveryQueue) {
    this.plan = plan;
    this.connection = connection;
    this.socket = socket;
    const p = connection.principal;
    this.shareKey = JSON.stringify([plan.query, plan.variables, p.tenantId, [...p.roles].sort(), [...p.scopes].sort(), p.platformAdmin, p.assignmentId ?? null]);
    this.queue = queue(this);
  }

  /** Envelope-level routing: topic, declared types, `kinds`. (Tenant is routed by the index.) */
  matches(event: EventEnvelope): boolean {
    const { spec, kinds } = this.plan;
    if (!spec.topics.includes(event.topic)) return false;
    if (spec.types && !spec.types.includes(event.type)) return false;
    if (kinds && !kinds.includes(event.type)) return false;
    return true;
  }
}

export const createSubscriptionEngine = async (options: SubscriptionEngineOptions): Promise<SubscriptionEngine> => {
  const { gateway, bus, logger } = options;
  const queueLimit = options.queueLimit ?? 256;
  const maxBufferedBytes = options.maxBufferedBytes ?? 4 * 1024 * 1024;
  const retries = options.notFoundRetriesMs ?? [25, 100, 400];
  const closeGraceMs = options.closeGraceMs ?? 5000;
  const group = options.group ?? `gateway-${randomBytes(6).toString('hex')}`;
  const specs = liveSpecsOf(gateway.supergraphSdl);
  const window = new ReplayWindow({ perTenant: options.replayPerTenant, maxAgeMs: options.replayMaxAgeMs });
  const stats: SubscriptionStats = { events: 0, duplicates: 0, resolutions: 0, deliveries: 0, dropped: 0, slowConsumerCloses: 0, connections: 0, subscriptions: 0, opened: 0 };
  const byTenant = new Map<string, Set<LiveSubscription>>();
  const connections = new WeakMap<object, Connection>();
  const timers = new Set<NodeJS.Timeout>();
  const documents = new Map<string, DocumentNode>();

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

  const register = (sub: LiveSubscription): void => {
    const tenant = sub.connection.principal.tenantId;
    let set = byTenant.get(tenant);
    if (!set) {
      set = new Set();
      byTenant.set(tenant, set);
    }
    set.add(sub);
    stats.subscriptions += 1;
    stats.opened += 1;
  };
  const unregister = (sub: LiveSubscription): void => {
    const tenant = sub.connection.principal.tenantId;
    const set = byTenant.get(tenant);
    if (set?.delete(sub)) stats.subscriptions -= 1;
    if (set && set.size === 0) byTenant.delete(tenant);
  };

  const refetchId = (sub: LiveSubscription, event: EventEnvelope): string => {
    const field = gateway.apiSchema?.getSubscriptionType()?.getFields()[sub.plan.spec.field];
    const typeName = field ? getNamedType(field.type).name : '';
    return event.subject.typename === typeName ? event.subject.id : event.id;
  };

  /** One refetch through the gateway, as `sub`'s principal. Null = nothing this scope may see. */
  const resolve = async (sub: LiveSubscription, event: EventEnvelope): Promise<Resolved | null> => {
    const { plan, connection } = sub;
    const variables = { ...plan.variables, [REFETCH_ID_VARIABLE]: refetchId(sub, event) };
    const context = { principal: connection.principal, correlationId: event.correlationId, forward: { authorization: `Bearer ${connection.token}`, 'x-correlation-id': event.correlationId } };
    for (let attempt = 0; ; attempt += 1) {
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
      if (attempt >= retries.length) return null;
      await new Promise((r) => setTimeout(r, retries[attempt]));
    }
  };

  const shape = (sub: LiveSubscription, resolved: Resolved | null): Message | null => {
    if (!resolved) {
      stats.dropped += 1;
      return null;
    }
    const value = applyFilters(sub.plan, resolved.value);
    if (!value) {
      stats.dropped += 1;
      return null;
    }
    stats.deliveries += 1;
    const { refetch } = sub.plan.spec;
    const errors = resolved.errors?.map((e) => ({ ...e, ...(e.path ? { path: e.path.map((p) => (p === refetch ? sub.plan.responseKey : p)) } : {}) }));
    return { data: { [sub.plan.responseKey]: value }, ...(errors ? { errors } : {}) };
  };

  /** Queues `event` for `subs`, sharing one resolution per share key within this dispatch. */
  const dispatch = (event: EventEnvelope, subs: Iterable<LiveSubscription>): void => {
    const shared = new Map<string, Promise<Resolved | null>>();
    for (const sub of subs) {
      if (!sub.matches(event) || sub.socket.readyState !== sub.socket.OPEN) continue;
      if (sub.socket.bufferedAmount > maxBufferedBytes) {
        slowConsumer(sub.socket);
        continue;
      }
      let pending = shared.get(sub.shareKey);
      if (!pending) {
        pending = resolve(sub, event);
        shared.set(sub.shareKey, pending);
      }
      sub.queue.push(pending.then((resolved) => shape(sub, resolved)));
    }
  };

  const topics = [...new Set([...specs.values()].flatMap((s) => s.topics))];
  const onEvent = async (event: EventEnvelope): Promise<void> => {
    try {
      stats.events += 1;
      if (!window.add(event)) {
        stats.duplicates += 1;
        return;
      }
      const subs = byTenant.get(event.tenantId);
      if (subs) dispatch(event, subs);
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
    const connection: Connection = { principal, token: match[1], timer: null };
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

  let closing: Promise<void> | null = null;
  const wss = new WebSocketServer({ noServer: true });
  const server = useServer<Record<string, unknown> | undefined, Extra>(
    {
      onConnect: async (ctx) => (await authenticate(ctx)) ? undefined : false,
      onSubscribe: (ctx, _id, payload): ExecutionArgs | readonly GraphQLError[] => {
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
        let plan: RefetchPlan;
        try {
          plan = planRefetch(schema, document, payload.operationName, payload.variables, specs);
        } catch (error) {
          return [error instanceof GraphQLError ? error : gqlError((error as Error).message, 'BAD_USER_INPUT', 'Check the subscription.')];
        }
        if (plan.after !== null) {
          if (!isEventId(plan.after)) return [gqlError(`after: "${plan.after}" is not an event id`, 'BAD_USER_INPUT', 'Pass the id of the last event you received.')];
          const replay = window.since(connection.principal.tenantId, plan.after);
          if ('outside' in replay) {
            return [gqlError(`Cannot resume after ${plan.after}: it is older than this gateway's replay window`, 'REPLAY_WINDOW_EXCEEDED', 'Reload the missed events with a query (e.g. Query.timeline with after:), then subscribe again without after: or with the newest id you hold.')];
          }
        }
        const context: LiveContext = { plan, connection, socket: ctx.extra.socket };
        return { schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue: context };
      },
      subscribe: (args) => {
        const { plan, connection, socket } = args.contextValue as LiveContext;
        const sub = new LiveSubscription(plan, connection, socket, (self) => new DeliveryQueue(queueLimit, () => slowConsumer(socket), () => unregister(self)));
        // Live first, then replay, in one synchronous step: no event can arrive in between, so the
        // replay (events already in the window) and the live stream (events added later, deduplicated
        // by id in the window) neither overlap nor leave a gap.
        register(sub);
        if (plan.after !== null) {
          const replay = window.since(connection.principal.tenantId, plan.after);
          if ('events' in replay) for (const event of replay.events) dispatch(event, [sub]);
        }
        // Messages carry the gateway's already-formatted errors (plain JSON), which graphql-ws sends as-is.
        return sub.queue as unknown as AsyncIterable<ExecutionResult>;
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
        await server.dispose();
      })();
      return closing;
    },
  };
};

import { Admin, Consumer, ProduceAcks, Producer, stringDeserializers, stringSerializers, type Message, type MessagesStream } from '@platformatic/kafka';
import { createErrorRecorder, type EngineHealth } from '../engine-health.ts';
import { newId } from '../ids.ts';
import type { EventEnvelope } from './envelope.ts';
import type { BusSubscription, EventBus, EventHandler } from './port.ts';

/**
 * Kafka EventBus on `@platformatic/kafka` (pure ESM JavaScript, maintained, Kafka 3.5–4.x).
 *
 * - One topic per event family: the topic is `envelope.topic`. Topics are created on demand (admin
 *   CreateTopics, `partitions` each, the broker's default replication unless `replicationFactor`).
 * - Message key = tenant id, so one tenant's events land in one partition and keep their order.
 *   Value = the JSON envelope; headers `event-id`, `event-type`, `tenant-id`, `schema-version`.
 * - `publish` resolves once the broker acknowledged with acks=all, from an idempotent producer.
 * - `subscribe({ group })` = one Kafka consumer group per group name; each subscription is one member.
 *   It starts from the group's committed offsets; a group with none starts at the end of each topic,
 *   or at its beginning with `fromBeginning`. Those fallback start offsets are committed at once (on
 *   every join or rebalance, for each assigned partition the group has no offset on), so from the
 *   moment a group first joined, every later event reaches it, also one published while all its
 *   members were down. `subscribe` resolves once the member has joined and its start offsets are
 *   known and committed, so anything published afterwards reaches it.
 * - Messages of a subscription are handled one at a time, in order. The offset is committed only
 *   after the handler resolved (at least once). A failing handler is retried with exponential backoff
 *   (200 ms … 10 s) until it succeeds or the subscription closes: the message is never skipped, and
 *   the partition waits behind it. Only a message that is not an event envelope at all (not JSON, no
 *   id/topic/tenant) is logged and skipped, since no retry can fix it.
 * - Replay: `replayFrom(bus, { topics, from }, handler)` reads the topics again from the earliest
 *   offset, from a point in time (`Date`: the first offset at or after it, per partition) or from
 *   explicit offsets, in a throwaway consumer group that commits nothing, so live groups are
 *   untouched. Handlers must be idempotent (see `consumeOnce`). For subscription resume the
 *   gateway uses the store's outbox (`outbox.since`), not this.
 */
export interface KafkaBusOptions {
  brokers: readonly string[];
  clientId: string;
  /** Partitions of topics this bus creates (default 3). */
  partitions?: number;
  /** Replication factor of topics this bus creates (default -1: the broker's default). */
  replicationFactor?: number;
  /** Bound for reaching the brokers at start (default 10 000 ms). */
  connectTimeoutMs?: number;
  /** How long `subscribe` keeps retrying a member that fails to join (default 30 000 ms). */
  subscribeTimeoutMs?: number;
  /** Backoff of handler retries (default 200 ms doubling up to 10 000 ms). */
  retry?: { initialMs?: number; maxMs?: number };
  logger?: { warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
  /**
   * Prefix of every Kafka topic and consumer group this bus touches (MESH_NAMESPACE + `.`), so several
   * deployments or test runs can share one cluster without seeing each other. Envelopes keep their
   * unprefixed `topic`; subscribers and replays name unprefixed topics. Default: none.
   */
  namespacePrefix?: string;
}

export type ReplayStart = 'earliest' | Date | ReadonlyArray<{ topic: string; partition: number; offset: bigint | number }>;

export interface ReplayOptions {
  topics: readonly string[];
  from: ReplayStart;
}

export interface KafkaEventBus extends EventBus {
  /** Whether a broker answers now, and the last engine-level error (consumer failure, failed commit or publish). */
  health(): Promise<EngineHealth>;
  replay(options: ReplayOptions, handler: EventHandler): Promise<BusSubscription>;
}

/** Reads `topics` again from `from` (earliest, a time, or offsets) without touching any group's offsets. */
export const replayFrom = (bus: KafkaEventBus, options: ReplayOptions, handler: EventHandler): Promise<BusSubscription> => bus.replay(options, handler);

const silent = { warn: () => undefined, error: () => undefined };

type StringMessage = Message<string, string, string, string>;
type StringStream = MessagesStream<string, string, string, string>;
type StringConsumer = Consumer<string, string, string, string>;

const withTimeout = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });

const describeError = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  const nested = (error as { errors?: unknown[] }).errors;
  const inner = Array.isArray(nested) && nested[0] instanceof Error ? `: ${describeError(nested[0])}` : '';
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}${inner}`;
};

const isEnvelope = (value: unknown): value is EventEnvelope => {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.id === 'string' && typeof v.type === 'string' && typeof v.topic === 'string' && typeof v.tenantId === 'string';
};

/** A sleep that `cancel()` cuts short (used when a subscription closes during a retry backoff). */
const cancellableSleep = (): { sleep(ms: number): Promise<void>; cancel(): void } => {
  const pending = new Set<() => void>();
  return {
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          pending.delete(done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        pending.add(done);
      }),
    cancel() {
      for (const done of [...pending]) done();
    },
  };
};

/** Closes a consumer (leaving its group), forcing its streams closed; never throws. */
const closeConsumer = (consumer: Consumer<string, string, string, string>): Promise<void> =>
  new Promise<void>((resolve) => {
    consumer.close(true, () => resolve());
  });

interface ConsumerPlan {
  groupId: string;
  topics: string[];
  mode: 'committed' | 'earliest' | 'manual';
  fallbackMode: 'earliest' | 'latest';
  offsets?: Array<{ topic: string; partition: number; offset: bigint }>;
  commit: boolean;
}

export const createKafkaBus = async (options: KafkaBusOptions): Promise<KafkaEventBus> => {
  const brokers = [...options.brokers];
  const { clientId } = options;
  const partitions = options.partitions ?? 3;
  const replicas = options.replicationFactor ?? -1;
  const connectTimeout = options.connectTimeoutMs ?? 10_000;
  const initialMs = options.retry?.initialMs ?? 200;
  const maxMs = options.retry?.maxMs ?? 10_000;
  const logger = options.logger ?? silent;
  const subscribeTimeout = options.subscribeTimeoutMs ?? 30_000;
  const prefix = options.namespacePrefix ?? '';
  if (prefix && !/^[A-Za-z0-9._-]+$/.test(prefix)) throw new Error(`Kafka namespace prefix ${JSON.stringify(prefix)}: letters, digits, ".", "_" and "-" only`);
  /** The Kafka topic that carries one event family. */
  const wire = (topic: string): string => prefix + topic;
  const base = { clientId, bootstrapBrokers: brokers, connectTimeout: Math.min(connectTimeout, 5000) };

  const admin = new Admin({ ...base, retries: 2, retryDelay: 250 });
  try {
    await withTimeout(admin.listTopics(), connectTimeout, 'listTopics');
  } catch (error) {
    await admin.close().catch(() => undefined);
    throw new Error(`KAFKA_BROKERS: cannot reach Kafka at ${brokers.join(',')} within ${connectTimeout} ms (${describeError(error)}). Start the brokers or fix KAFKA_BROKERS.`, {
      cause: error,
    });
  }
  const engineErrors = createErrorRecorder();
  const producer = new Producer<string, string, string, string>({ ...base, serializers: stringSerializers, acks: ProduceAcks.ALL, idempotent: true, autocreateTopics: false });

  // ------------------------------------------------------------------ topics
  const known = new Set<string>();
  /** A CreateTopics failure whose every per-topic error is TOPIC_ALREADY_EXISTS. */
  const onlyAlreadyExists = (error: unknown): boolean => {
    const inner = error instanceof AggregateError ? error.errors : [];
    return inner.length > 0 && inner.every((e: unknown) => typeof e === 'object' && e !== null && (e as { apiId?: unknown }).apiId === 'TOPIC_ALREADY_EXISTS');
  };
  let creating: Promise<void> = Promise.resolve();
  const ensureTopics = (topics: readonly string[]): Promise<void> => {
    const run = async (): Promise<void> => {
      const wanted = [...new Set(topics)].filter((t) => !known.has(t));
      if (!wanted.length) return;
      const existing = new Set(await admin.listTopics());
      const missing = wanted.filter((t) => !existing.has(t));
      if (missing.length) {
        try {
          await admin.createTopics({ topics: missing, partitions, replicas });
        } catch (error) {
          // Another process may have created some of them meanwhile. "Already exists" for every topic is
          // success even when the listing does not show them yet (metadata lags the controller, which
          // made concurrently starting subgraphs fail); otherwise only a topic still missing is an error.
          if (!onlyAlreadyExists(error)) {
            const now = new Set(await admin.listTopics());
            if (missing.some((t) => !now.has(t))) throw error;
          }
        }
        // Wait until the new topics' metadata shows their partition leaders.
        for (let attempt = 0; attempt < 50; attempt += 1) {
          const metadata = await admin.metadata({ topics: missing, forceUpdate: true }).catch(() => null);
          const ready = metadata && missing.every((t) => (metadata.topics.get(t)?.partitions ?? []).every((p) => p.leader >= 0) && (metadata.topics.get(t)?.partitionsCount ?? 0) > 0);
          if (ready) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      for (const t of wanted) known.add(t);
    };
    const next = creating.then(run, run);
    creating = next.catch(() => undefined);
    return next;
  };

  // ------------------------------------------------------------------ consumers
  const subscriptions = new Set<BusSubscription>();
  let closed = false;

  /**
   * One consuming member: a consumer in `plan.groupId`, its stream, and the serial handler loop.
   * When the stream fails (broker restart, fenced member), the member is rebuilt after a backoff.
   */
  const startMember = async (plan: ConsumerPlan, handler: EventHandler): Promise<BusSubscription> => {
    await ensureTopics(plan.topics);
    let stopped = false;
    let consumer: StringConsumer | null = null;
    let stream: StringStream | null = null;
    let inFlight: Promise<void> = Promise.resolve();
    const timers = cancellableSleep();

    /** Is the message's partition still assigned to this member? (False after a rebalance moved it.) */
    const owns = (message: StringMessage): boolean => {
      const assignments = consumer?.assignments;
      if (!assignments) return true;
      return assignments.some((a) => a.topic === message.topic && a.partitions.includes(message.partition));
    };

    const deliver = async (message: StringMessage): Promise<void> => {
      // Like the Java client, drop records fetched for a partition this member lost in a rebalance:
      // its new owner starts from the committed offset, so handling it here would only duplicate it.
      if (plan.commit && !owns(message)) return;
      let envelope: unknown;
      try {
        envelope = JSON.parse(message.value);
      } catch {
        envelope = null;
      }
      if (!isEnvelope(envelope)) {
        logger.error({ topic: message.topic, partition: message.partition, offset: String(message.offset) }, 'kafka bus: not an event envelope; skipped');
      } else {
        for (let attempt = 1; ; attempt += 1) {
          try {
            await handler(envelope);
            break;
          } catch (error) {
            if (stopped) return; // not committed: the group redelivers it
            const wait = Math.min(maxMs, initialMs * 2 ** (attempt - 1));
            logger.warn({ err: error, eventId: envelope.id, group: plan.groupId, attempt, retryInMs: wait }, 'kafka bus: handler failed; retrying');
            await timers.sleep(wait);
            if (stopped) return;
          }
        }
      }
      if (!plan.commit || stopped) return;
      try {
        await new Promise<void>((resolve, reject) => {
          message.commit((error?: Error) => (error ? reject(error) : resolve()));
        });
      } catch (error) {
        // Rebalanced away, or the coordinator moved: the next owner redelivers (at least once).
        engineErrors.record(error);
        logger.warn({ err: error, group: plan.groupId, topic: message.topic, partition: message.partition }, 'kafka bus: offset commit failed');
      }
    };

    /**
     * Commits `start` (the offsets the stream will fetch from) for every assigned partition on which
     * the group has no committed offset yet, so the group's position there is durable from the moment
     * it joined. Never throws: a failed anchor is recorded and logged (the member still consumes).
     */
    const anchorStartOffsets = async (member: StringConsumer, assigned: Array<{ topic: string; partitions: number[] }>, start: ReadonlyMap<string, bigint>): Promise<void> => {
      if (stopped || !assigned.length) return;
      try {
        const committed = await member.listCommittedOffsets({ topics: assigned });
        const offsets: Array<{ topic: string; partition: number; offset: bigint; leaderEpoch: number }> = [];
        for (const { topic, partitions: ids } of assigned) {
          for (const partition of ids) {
            const done = committed.get(topic)?.[partition];
            const from = start.get(`${topic}:${partition}`);
            if ((done === undefined || done < 0n) && from !== undefined && from >= 0n) offsets.push({ topic, partition, offset: from, leaderEpoch: -1 });
          }
        }
        if (offsets.length && !stopped) await member.commit({ offsets });
      } catch (error) {
        if (stopped) return;
        engineErrors.record(error);
        logger.warn({ err: error, group: plan.groupId }, 'kafka bus: pinning the start offsets of a new group failed; events published while the group has no member may be missed');
      }
    };

    const open = async (): Promise<void> => {
      const next = new Consumer<string, string, string, string>({
        ...base,
        groupId: plan.groupId,
        deserializers: stringDeserializers,
        autocommit: false,
        sessionTimeout: 10_000,
        heartbeatInterval: 1000,
        maxWaitTime: 500,
      });
      consumer = next;
      let opened: StringStream;
      try {
        opened = await next.consume({
          topics: plan.topics,
          mode: plan.mode,
          fallbackMode: plan.fallbackMode,
          autocommit: false,
          ...(plan.offsets ? { offsets: plan.offsets } : {}),
        });
      } catch (error) {
        await closeConsumer(next);
        throw error;
      }
      stream = opened;
      // Every time the member's start offsets are (re)computed (join, rebalance), pin the ones that came
      // from the fallback (a partition the group never committed on) by committing them, before any
      // message is handled. Without this, a group that joined at the end of a partition but handled
      // nothing there has no offset on it; when its members are all down and an event lands there, the
      // next member falls back to the end again and the event is never delivered.
      let anchoring: Promise<void> = Promise.resolve();
      if (plan.commit && plan.mode === 'committed') {
        opened.on('offsets', () => {
          const assigned = (next.assignments ?? []).map((a) => ({ topic: a.topic, partitions: [...a.partitions] }));
          const start = new Map(opened.offsetsToFetch);
          anchoring = anchoring.then(() => anchorStartOffsets(next, assigned, start));
        });
      }
      // Resolve once the start offsets are known and pinned (or the stream failed).
      const ready = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, 15_000);
        opened.once('offsets', () => {
          clearTimeout(timer);
          void anchoring.then(resolve);
        });
        opened.once('error', (error: Error) => {
          clearTimeout(timer);
          reject(error);
        });
      });
      opened.on('data', (message: StringMessage) => {
        if (stopped) return;
        opened.pause();
        inFlight = anchoring.then(() => deliver(message)).finally(() => {
          if (!stopped && stream === opened) opened.resume();
        });
      });
      let settled = false;
      opened.on('error', (error: Error) => {
        // While opening, `ready` reports the failure to the caller (which retries); afterwards, reconnect.
        if (stopped || stream !== opened || !settled) return;
        engineErrors.record(error);
        logger.warn({ err: error, group: plan.groupId }, 'kafka bus: consumer failed; reconnecting');
        void reopen();
      });
      try {
        await ready;
      } catch (error) {
        await shutdown();
        throw error;
      }
      settled = true;
    };

    const shutdown = async (): Promise<void> => {
      const s = stream;
      const c = consumer;
      stream = null;
      consumer = null;
      await inFlight.catch(() => undefined);
      if (s) await s.close().catch(() => undefined);
      if (c) await closeConsumer(c);
    };

    let reopening = false;
    const reopen = async (): Promise<void> => {
      if (reopening) return;
      reopening = true;
      try {
        for (let attempt = 1; !stopped; attempt += 1) {
          await shutdown();
          await timers.sleep(Math.min(maxMs, initialMs * 2 ** (attempt - 1)));
          if (stopped) return;
          try {
            await open();
            return;
          } catch (error) {
            engineErrors.record(error);
            logger.warn({ err: error, group: plan.groupId, attempt }, 'kafka bus: reconnect failed');
          }
        }
      } finally {
        reopening = false;
      }
    };

    // Joining can fail transiently right after the topics were created (ListOffsets answered before the
    // partitions' leaders are ready): retry with backoff until `subscribeTimeoutMs`, then fail the start.
    const deadline = Date.now() + subscribeTimeout;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await open();
        break;
      } catch (error) {
        const wait = Math.min(maxMs, initialMs * 2 ** (attempt - 1));
        if (stopped || Date.now() + wait > deadline) throw error;
        engineErrors.record(error);
        logger.warn({ err: error, group: plan.groupId, attempt, retryInMs: wait }, 'kafka bus: joining the consumer group failed; retrying');
        await timers.sleep(wait);
      }
    }
    const subscription: BusSubscription = {
      async close() {
        if (stopped) return;
        stopped = true;
        timers.cancel();
        subscriptions.delete(subscription);
        await shutdown();
      },
    };
    subscriptions.add(subscription);
    return subscription;
  };

  /** Start offsets for a replay from a point in time: the first offset at or after it, per partition. */
  const offsetsAt = async (topics: string[], at: Date): Promise<Array<{ topic: string; partition: number; offset: bigint }>> => {
    const probe = new Consumer<string, string, string, string>({ ...base, groupId: `${prefix}${clientId}.offsets.${newId()}` });
    try {
      const [atTime, latest] = await Promise.all([probe.listOffsets({ topics, timestamp: BigInt(at.getTime()) }), probe.listOffsets({ topics, timestamp: -1n })]);
      const result: Array<{ topic: string; partition: number; offset: bigint }> = [];
      for (const [topic, list] of atTime) {
        list.forEach((offset, partition) => {
          result.push({ topic, partition, offset: offset >= 0n ? offset : (latest.get(topic)?.[partition] ?? 0n) });
        });
      }
      return result;
    } finally {
      await closeConsumer(probe);
    }
  };

  return {
    engine: 'kafka',
    async publish(events) {
      if (closed) throw new Error('bus closed');
      if (!events.length) return;
      await ensureTopics(events.map((e) => wire(e.topic)));
      try {
        await producer.send({
          messages: events.map((event) => ({
            topic: wire(event.topic),
            key: event.tenantId,
            value: JSON.stringify(event),
            headers: { 'event-id': event.id, 'event-type': event.type, 'tenant-id': event.tenantId, 'schema-version': String(event.schemaVersion) },
          })),
          acks: ProduceAcks.ALL,
        });
      } catch (error) {
        engineErrors.record(error);
        throw error;
      }
    },
    async subscribe(subscribeOptions, handler) {
      if (closed) throw new Error('bus closed');
      return startMember(
        { groupId: prefix + subscribeOptions.group, topics: subscribeOptions.topics.map(wire), mode: 'committed', fallbackMode: subscribeOptions.fromBeginning ? 'earliest' : 'latest', commit: true },
        handler,
      );
    },
    async replay(replayOptions, handler) {
      if (closed) throw new Error('bus closed');
      const topics = replayOptions.topics.map(wire);
      await ensureTopics(topics);
      const groupId = `${prefix}${clientId}.replay.${newId()}`;
      const { from } = replayOptions;
      if (from === 'earliest') return startMember({ groupId, topics, mode: 'earliest', fallbackMode: 'earliest', commit: false }, handler);
      const offsets = from instanceof Date ? await offsetsAt(topics, from) : from.map((o) => ({ topic: wire(o.topic), partition: o.partition, offset: BigInt(o.offset) }));
      return startMember({ groupId, topics, mode: 'manual', fallbackMode: 'latest', offsets, commit: false }, handler);
    },
    async health() {
      try {
        const topics = await withTimeout(admin.listTopics(), 5000, 'listTopics');
        return { ok: !closed, detail: `kafka ${brokers.join(',')}${prefix ? ` (prefix ${prefix})` : ''}: ${topics.length} topics, ${subscriptions.size} subscriptions`, lastError: engineErrors.last };
      } catch (error) {
        engineErrors.record(error);
        return { ok: false, detail: `kafka ${brokers.join(',')}: ${describeError(error)}`, lastError: engineErrors.last };
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const subscription of [...subscriptions]) await subscription.close();
      await producer.close().catch(() => undefined);
      await admin.close().catch(() => undefined);
    },
  };
};

import type { EventEnvelope } from './envelope.ts';

export type EventHandler = (event: EventEnvelope) => Promise<void>;

export interface BusSubscription {
  close(): Promise<void>;
}

/**
 * The EventBus port. Adapters: in-process (memory) and Kafka.
 * - `publish` resolves once the events are durable on the bus (memory: delivered to every group).
 * - Each `group` receives every event of its topics once per group (consumer-group semantics);
 *   delivery is at least once, so handlers must be idempotent (see `consumeOnce`).
 * - Order is kept per tenant (Kafka: the message key is the tenant id).
 */
export interface EventBus {
  readonly engine: string;
  publish(events: readonly EventEnvelope[]): Promise<void>;
  subscribe(options: { group: string; topics: readonly string[]; fromBeginning?: boolean }, handler: EventHandler): Promise<BusSubscription>;
  health(): Promise<{ ok: boolean; detail: string }>;
  close(): Promise<void>;
}

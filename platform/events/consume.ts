import { systemScope } from '../context.ts';
import { defineCollection, type DocumentStore, type Transaction } from '../store/port.ts';
import { createProvenanceFactory } from '../provenance/provenance.ts';
import type { EventEnvelope } from './envelope.ts';
import type { EventBus, BusSubscription } from './port.ts';
import { ERROR_CODES } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { consumerDeadLettered } from '../metrics.ts';

interface ProcessedEvent {
  consumer: string;
  eventId: string;
}

const processed = defineCollection<ProcessedEvent>('processed_events', [{ fields: ['consumer', 'eventId'], unique: true }]);

/** An event a consumer could not handle after `maxAttempts` tries: kept for inspection and replay, out of the way of the events after it. */
export interface DeadLetteredEvent {
  consumer: string;
  eventId: string;
  type: string;
  topic: string;
  attempts: number;
  error: string;
  envelope: EventEnvelope;
}

export const consumerDeadLetters = defineCollection<DeadLetteredEvent>('consumer_dead_letters', [{ fields: ['consumer', 'eventId'], unique: true }]);

/** Failures worth waiting out (an engine down, a write conflict): retried for as long as they last, never dead-lettered. */
const isTransient = (error: unknown): boolean => {
  const code = error instanceof Error && 'code' in error ? String((error as { code: unknown }).code) : '';
  return code in ERROR_CODES && ERROR_CODES[code as keyof typeof ERROR_CODES].retryable;
};

/**
 * Subscribes an idempotent consumer: each event is handled at most once per consumer, in one
 * transaction with the consumer's writes and the dedupe marker, under the event's tenant scope.
 * Redelivery (relay retry, Kafka rebalance, replay) is therefore always safe.
 *
 * A poison event (a handler that keeps failing with a non-transient error: a bug, an invalid payload)
 * would otherwise block every later event of its publisher (the in-process bus) or of its partition
 * (Kafka) forever. After `maxAttempts` failed deliveries in this process (default 5) it is written to
 * `consumer_dead_letters` with the error, marked processed, logged and counted
 * (`mesh_consumer_dead_letters_total`), and the stream moves on. Transient failures (retryable codes
 * such as ENGINE_UNAVAILABLE or CONFLICT) are retried without limit.
 */
export const consumeOnce = async (
  bus: EventBus,
  store: DocumentStore,
  options: { consumer: string; topics: readonly string[]; types?: readonly string[]; fromBeginning?: boolean; maxAttempts?: number; logger?: Logger },
  handle: (event: EventEnvelope, tx: Transaction) => Promise<void> | void,
): Promise<BusSubscription> => {
  const markerProvenance = createProvenanceFactory(options.consumer, store.engine);
  const reader = store.collection(processed);
  const maxAttempts = options.maxAttempts ?? 5;
  const attempts = new Map<string, number>();
  const marker = (event: EventEnvelope, markerId: string) => ({ id: markerId, consumer: options.consumer, eventId: event.id });
  const markerRecord = (event: EventEnvelope, explanation: string) => markerProvenance.build({ method: 'SYSTEM', inputs: { eventId: event.id }, explanation }, event.correlationId);

  /** Gives up on a poison event: dead letter + marker in one transaction; false if even that failed. */
  const deadLetter = async (event: EventEnvelope, markerId: string, tries: number, error: unknown): Promise<boolean> => {
    const scope = systemScope(event.tenantId, `consumer ${options.consumer}`);
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    try {
      await store.transaction(scope, { action: `${options.consumer}.dead_letter`, actor: { id: options.consumer, kind: 'system' }, correlationId: event.correlationId, audit: false }, (tx) => {
        tx.insert(consumerDeadLetters, { id: markerId, consumer: options.consumer, eventId: event.id, type: event.type, topic: event.topic, attempts: tries, error: message.slice(0, 2000), envelope: event }, markerRecord(event, `dead-lettered after ${tries} failed attempts`));
        tx.insert(processed, marker(event, markerId), markerRecord(event, 'event dead-lettered'));
      });
    } catch (failure) {
      options.logger?.error({ err: failure, eventId: event.id, consumer: options.consumer }, 'consumer: could not dead-letter a failing event; it will be retried');
      return false;
    }
    consumerDeadLettered.inc({ consumer: options.consumer });
    options.logger?.error({ err: error, eventId: event.id, type: event.type, topic: event.topic, consumer: options.consumer, attempts: tries }, 'consumer: event dead-lettered after repeated failures');
    return true;
  };
  return bus.subscribe({ group: options.consumer, topics: options.topics, fromBeginning: options.fromBeginning }, async (event) => {
    if (options.types && !options.types.includes(event.type)) return;
    const scope = systemScope(event.tenantId, `consumer ${options.consumer}`);
    const markerId = `${options.consumer}:${event.id}`;
    if (await reader.get(scope, markerId)) return;
    await store
      .transaction(scope, { action: `${options.consumer}.consume`, actor: { id: options.consumer, kind: 'system' }, correlationId: event.correlationId, audit: false }, async (tx) => {
        await handle(event, tx);
        tx.insert(processed, marker(event, markerId), markerRecord(event, 'event processed'));
      })
      .then(() => {
        attempts.delete(markerId);
      })
      .catch(async (error: unknown) => {
        // A concurrent redelivery won the race: the marker exists, so this one is a duplicate.
        // Any other ALREADY_EXISTS (from the handler's own writes) is a real failure.
        if (error instanceof Error && 'code' in error && (error as { code: string }).code === 'ALREADY_EXISTS' && (await reader.get(scope, markerId))) return;
        if (isTransient(error)) throw error;
        const tries = (attempts.get(markerId) ?? 0) + 1;
        attempts.set(markerId, tries);
        if (tries < maxAttempts) throw error;
        if (!(await deadLetter(event, markerId, tries, error))) throw error;
        attempts.delete(markerId);
      });
  });
};

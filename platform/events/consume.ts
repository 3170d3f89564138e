import { systemScope } from '../context.ts';
import { defineCollection, type DocumentStore, type Transaction } from '../store/port.ts';
import { createProvenanceFactory } from '../provenance/provenance.ts';
import type { EventEnvelope } from './envelope.ts';
import type { EventBus, BusSubscription } from './port.ts';

interface ProcessedEvent {
  consumer: string;
  eventId: string;
}

const processed = defineCollection<ProcessedEvent>('processed_events', [{ fields: ['consumer', 'eventId'], unique: true }]);

/**
 * Subscribes an idempotent consumer: each event is handled at most once per consumer, in one
 * transaction with the consumer's writes and the dedupe marker, under the event's tenant scope.
 * Redelivery (relay retry, Kafka rebalance, replay) is therefore always safe.
 */
export const consumeOnce = async (
  bus: EventBus,
  store: DocumentStore,
  options: { consumer: string; topics: readonly string[]; types?: readonly string[]; fromBeginning?: boolean },
  handle: (event: EventEnvelope, tx: Transaction) => Promise<void> | void,
): Promise<BusSubscription> => {
  const markerProvenance = createProvenanceFactory(options.consumer, store.engine);
  const reader = store.collection(processed);
  return bus.subscribe({ group: options.consumer, topics: options.topics, fromBeginning: options.fromBeginning }, async (event) => {
    if (options.types && !options.types.includes(event.type)) return;
    const scope = systemScope(event.tenantId, `consumer ${options.consumer}`);
    const markerId = `${options.consumer}:${event.id}`;
    if (await reader.get(scope, markerId)) return;
    await store
      .transaction(scope, { action: `${options.consumer}.consume`, actor: { id: options.consumer, kind: 'system' }, correlationId: event.correlationId, audit: false }, async (tx) => {
        await handle(event, tx);
        tx.insert(processed, { id: markerId, consumer: options.consumer, eventId: event.id }, markerProvenance.build({ method: 'SYSTEM', inputs: { eventId: event.id }, explanation: 'event processed' }, event.correlationId));
      })
      .catch(async (error: unknown) => {
        // A concurrent redelivery won the race: the marker exists, so this one is a duplicate.
        // Any other ALREADY_EXISTS (from the handler's own writes) is a real failure: rethrow it.
        if (error instanceof Error && 'code' in error && (error as { code: string }).code === 'ALREADY_EXISTS' && (await reader.get(scope, markerId))) return;
        throw error;
      });
  });
};

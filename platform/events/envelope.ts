import type { ProvenanceRecord } from '../provenance/provenance.ts';

/** The entity an event is about; the gateway refetches it by id for subscriptions. */
export interface EventSubject {
  typename: string;
  id: string;
}

/** Who caused the event. */
export interface EventActor {
  id: string;
  kind: 'user' | 'app' | 'system';
}

/** The envelope every event travels in, on every bus. `schemaVersion` bumps on a breaking payload change. */
export interface EventEnvelope<P = Record<string, unknown>> {
  id: string;
  type: string;
  topic: string;
  tenantId: string;
  subject: EventSubject;
  actor: EventActor;
  occurredAt: string;
  correlationId: string;
  payload: P;
  provenance: ProvenanceRecord;
  schemaVersion: number;
}

/** What domain code hands to a transaction; the store fills in id, tenant, time and provenance. */
export interface EventDraft<P = Record<string, unknown>> {
  type: string;
  topic: string;
  subject: EventSubject;
  payload: P;
  schemaVersion?: number;
}

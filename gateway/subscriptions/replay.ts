import { encodeTime, isValid } from 'ulid';
import type { EventEnvelope } from '../../platform/events/envelope.ts';

/**
 * The gateway's REPLAY WINDOW for `after:` resumes. Honest scope: this is NOT the subgraphs' outbox.
 * In services mode the outboxes live in each subgraph's store, out of the gateway's reach, so each
 * engine keeps, per tenant, the envelopes it received from the bus recently (default: the last
 * 10,000 per tenant, at most one hour old). A resume is exact inside that window; an `after` older
 * than the window (evicted, or from before this gateway instance started) is refused with
 * REPLAY_WINDOW_EXCEEDED, so a client never silently misses events: it must reload with a query
 * (e.g. `Query.timeline(after:)`, served from the owning subgraph's read model) and subscribe again.
 * The window is per instance: after a reconnect to ANOTHER gateway instance the window starts at
 * that instance's start, which is why the floor below includes the start time.
 * The ring also deduplicates by event id (the bus delivers at least once).
 */
export interface ReplayWindowOptions {
  perTenant?: number;
  maxAgeMs?: number;
  now?: () => number;
}

interface Entry {
  event: EventEnvelope;
  at: number;
}

interface TenantRing {
  entries: Entry[];
  /** Index of the first live entry in `entries` (evicted entries are spliced out in batches). */
  head: number;
  ids: Set<string>;
  /** Events with ids below this may have been missed (evicted, or before the engine started). */
  floor: string;
}

const floorAt = (ms: number): string => `${encodeTime(ms, 10)}0000000000000000`;

export class ReplayWindow {
  readonly perTenant: number;
  readonly maxAgeMs: number;
  readonly startFloor: string;
  private readonly now: () => number;
  private readonly tenants = new Map<string, TenantRing>();

  constructor(options: ReplayWindowOptions = {}) {
    this.perTenant = options.perTenant ?? 10_000;
    this.maxAgeMs = options.maxAgeMs ?? 3_600_000;
    this.now = options.now ?? Date.now;
    this.startFloor = floorAt(this.now());
  }

  /** Records an event; false when the id was already seen (a redelivery: drop it). */
  add(event: EventEnvelope): boolean {
    let ring = this.tenants.get(event.tenantId);
    if (!ring) {
      ring = { entries: [], head: 0, ids: new Set(), floor: this.startFloor };
      this.tenants.set(event.tenantId, ring);
    }
    if (ring.ids.has(event.id)) return false;
    ring.entries.push({ event, at: this.now() });
    ring.ids.add(event.id);
    this.evict(ring);
    return true;
  }

  private evict(ring: TenantRing): void {
    const oldest = this.now() - this.maxAgeMs;
    while (ring.entries.length - ring.head > this.perTenant || (ring.head < ring.entries.length && ring.entries[ring.head].at < oldest)) {
      const gone = ring.entries[ring.head].event.id;
      ring.ids.delete(gone);
      if (gone > ring.floor) ring.floor = gone;
      ring.head += 1;
    }
    if (ring.head > 1024 && ring.head * 2 > ring.entries.length) {
      ring.entries = ring.entries.slice(ring.head);
      ring.head = 0;
    }
  }

  /**
   * The events of `tenantId` after `after`, in arrival order. `after` must be a ULID. When `after` is
   * in the window, everything that arrived after it is returned (arrival order, robust to clocks);
   * otherwise events with a greater id. Throws `outside` when `after` predates the window.
   */
  since(tenantId: string, after: string): { events: EventEnvelope[] } | { outside: string } {
    const ring = this.tenants.get(tenantId);
    const floor = ring?.floor ?? this.startFloor;
    if (ring) this.evict(ring);
    if (!ring) return after < floor ? { outside: floor } : { events: [] };
    const live = ring.entries.slice(ring.head);
    const index = ring.ids.has(after) ? live.findIndex((e) => e.event.id === after) : -1;
    if (index >= 0) return { events: live.slice(index + 1).map((e) => e.event) };
    if (after < ring.floor) return { outside: ring.floor };
    return { events: live.filter((e) => e.event.id > after).map((e) => e.event) };
  }

  size(): number {
    let total = 0;
    for (const ring of this.tenants.values()) total += ring.entries.length - ring.head;
    return total;
  }
}

export const isEventId = (value: string): boolean => isValid(value);

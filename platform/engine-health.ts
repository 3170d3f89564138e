/**
 * Engine health as `/health` reports it: for each port of a process (store, graph, bus) its engine
 * kind, whether it answers now, and the last error seen — kept after the engine recovers, so an
 * operator can see that Kafka dropped out two minutes ago even though it is back.
 */

/** An engine failure: what was said, and when (ISO-8601 UTC). */
export interface EngineError {
  message: string;
  at: string;
}

/** What an adapter's `health()` answers. `lastError` is an engine-level failure the adapter itself observed (connection lost, reconnect failed, ...). */
export interface EngineHealth {
  ok: boolean;
  detail: string;
  lastError?: EngineError | null;
}

/** Anything with an engine name and a health probe: every DocumentStore, GraphStore and EventBus. */
export interface EngineProbe {
  readonly engine: string;
  health(): Promise<EngineHealth>;
}

/** One engine's state in a `/health` body. */
export interface EngineState {
  /** The engine behind the port: `nedb`, `mongo`, `graphology`, `neo4j`, `memory`, `kafka`. */
  kind: string;
  status: 'up' | 'down';
  detail: string;
  /** The most recent failure, from a probe or reported by the adapter; null if none since start. */
  lastError: EngineError | null;
  checkedAt: string;
}

export interface EngineMonitor {
  /** Probes every engine (bounded by the monitor's timeout) and returns their states by port name. */
  check<K extends string>(probes: Record<K, EngineProbe>): Promise<Record<K, EngineState>>;
}

const later = (a: EngineError | null, b: EngineError | null | undefined): EngineError | null => {
  if (!b) return a;
  if (!a) return b;
  return Date.parse(b.at) >= Date.parse(a.at) ? b : a;
};

/**
 * Remembers the last error per port name across checks. A probe that throws, answers `ok: false` or
 * does not answer within `timeoutMs` (default 3000) makes the engine `down` and becomes its last error.
 */
export const createEngineMonitor = (options: { timeoutMs?: number; now?: () => Date } = {}): EngineMonitor => {
  const timeoutMs = options.timeoutMs ?? 3000;
  const now = options.now ?? (() => new Date());
  const lastErrors = new Map<string, EngineError | null>();

  const probeOnce = async (probe: EngineProbe): Promise<EngineHealth> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        probe.health(),
        new Promise<EngineHealth>((resolve) => {
          timer = setTimeout(() => resolve({ ok: false, detail: `${probe.engine}: no answer to the health probe within ${timeoutMs} ms` }), timeoutMs);
        }),
      ]);
    } catch (error) {
      return { ok: false, detail: `${probe.engine}: ${error instanceof Error ? error.message : String(error)}` };
    } finally {
      clearTimeout(timer);
    }
  };

  const checkOne = async (name: string, probe: EngineProbe): Promise<EngineState> => {
    const health = await probeOnce(probe);
    const checkedAt = now().toISOString();
    let lastError = later(lastErrors.get(name) ?? null, health.lastError);
    if (!health.ok) lastError = { message: health.detail, at: checkedAt };
    lastErrors.set(name, lastError);
    return { kind: probe.engine, status: health.ok ? 'up' : 'down', detail: health.detail, lastError, checkedAt };
  };

  return {
    async check(probes) {
      const names = Object.keys(probes) as Array<keyof typeof probes>;
      const states = await Promise.all(names.map((name) => checkOne(String(name), probes[name])));
      return Object.fromEntries(names.map((name, i) => [name, states[i]])) as Record<keyof typeof probes, EngineState>;
    },
  };
};

/** Records the latest engine error an adapter observed (connection events, failed reconnects). */
export const createErrorRecorder = (now: () => Date = () => new Date()): { record(error: unknown): void; readonly last: EngineError | null } => {
  let last: EngineError | null = null;
  return {
    record(error) {
      last = { message: error instanceof Error ? error.message : String(error), at: now().toISOString() };
    },
    get last() {
      return last;
    },
  };
};

import type { Logger } from '../logger.ts';
import type { DocumentStore } from '../store/port.ts';
import type { EventBus } from './port.ts';

export interface OutboxRelay {
  /** Publishes everything pending now; resolves when the outbox is drained (or the bus failed). */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Publishes a store's outbox to the bus in commit order, at least once: an entry is marked published
 * only after the bus accepted it. Kicked on every commit; also polls, so entries left by a crash go out
 * after restart. On bus failure it backs off (up to 5 s) and retries.
 */
export const startOutboxRelay = (store: DocumentStore, bus: EventBus, logger: Logger, options: { pollMs?: number; batch?: number; startAfter?: Promise<void> } = {}): OutboxRelay => {
  const pollMs = options.pollMs ?? 250;
  // Nothing is published before this resolves (e.g. until every consumer of the in-process bus subscribed).
  const gate = options.startAfter ?? Promise.resolve();
  const batch = options.batch ?? 200;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  let failures = 0;
  let timer: NodeJS.Timeout | null = null;
  let wake: (() => void) | null = null;

  const drain = async (): Promise<void> => {
    await gate;
    for (;;) {
      if (stopped) return;
      const entries = await store.outbox.pending(batch);
      if (!entries.length) return;
      await bus.publish(entries.map((e) => e.envelope));
      await store.outbox.markPublished(entries.map((e) => e.seq));
      failures = 0;
    }
  };

  const kick = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await drain();
        } catch (error) {
          failures += 1;
          logger.warn({ err: error, failures }, 'outbox relay: publish failed, will retry');
          // The backoff ends early on stop(), so shutting down during a bus outage does not wait it out.
          await new Promise<void>((resolve) => {
            const backoff = setTimeout(() => {
              wake = null;
              resolve();
            }, Math.min(5000, 50 * 2 ** failures));
            wake = () => {
              clearTimeout(backoff);
              wake = null;
              resolve();
            };
          });
          again = !stopped;
        }
      } while (again && !stopped);
    })().finally(() => {
      running = null;
    });
    return running;
  };

  store.onCommit(() => void kick());
  const schedule = (): void => {
    timer = setTimeout(() => {
      void kick().finally(() => {
        if (!stopped) schedule();
      });
    }, pollMs);
    timer.unref();
  };
  schedule();
  void kick();

  return {
    flush: kick,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      wake?.();
      await running;
    },
  };
};

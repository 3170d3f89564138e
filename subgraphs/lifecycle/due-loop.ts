import type { Logger } from '../../platform/logger.ts';

/** The timer loop shared by lifecycle's schedulers (CRM sync, approval escalation). */
export interface DueLoop {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Asks for a pass soon (after an enqueue, a new deadline or a replay). */
  kick(): void;
  /** One pass now; a call while a pass runs joins it and asks for another right after. */
  tick(): Promise<number>;
  /** True after stop(): passes stop between tenants. */
  stopped(): boolean;
}

/**
 * Runs `pass` on a timer: the next pass is timed for `earliestDue()` (at most `pollMs` away, at
 * least 20 ms), immediately again when a pass was asked for while one ran. Timers run only between
 * start() and stop(); a direct tick() works without them (tests, tools).
 */
export const createDueLoop = (options: { pollMs: number; now: () => Date; logger: Logger; what: string; pass: () => Promise<number>; earliestDue: () => Promise<string | null> }): DueLoop => {
  const { pollMs, now } = options;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<number> | null = null;
  let again = false;
  let timersOn = false;
  let stopped = false;

  const tick = async (): Promise<number> => {
    if (running) {
      again = true;
      return running;
    }
    running = options.pass();
    try {
      return await running;
    } finally {
      running = null;
    }
  };

  const nextDelay = async (): Promise<number> => {
    const first = await options.earliestDue();
    if (!first) return pollMs;
    return Math.min(pollMs, Math.max(20, Date.parse(first) - now().getTime()));
  };

  const schedule = (ms: number): void => {
    if (!timersOn || stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void run(), ms);
    timer.unref();
  };

  const run = async (): Promise<void> => {
    timer = null;
    let delay = pollMs;
    try {
      await tick();
      delay = again ? 0 : await nextDelay();
      again = false;
    } catch (error) {
      options.logger.error({ err: error }, `${options.what} tick failed`);
    }
    schedule(delay);
  };

  return {
    async start() {
      stopped = false;
      timersOn = true;
      schedule(0);
    },
    async stop() {
      stopped = true;
      timersOn = false;
      if (timer) clearTimeout(timer);
      timer = null;
      await running?.catch(() => undefined);
    },
    kick() {
      if (!timersOn || stopped) return;
      if (running) again = true;
      else schedule(0);
    },
    tick,
    stopped: () => stopped,
  };
};

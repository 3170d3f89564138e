/** Result of taking one request from a limiter. */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
}

/**
 * Sliding-window-approximation limiter (the current fixed window plus the previous one weighted by
 * overlap, as in Cloudflare's and Redis cell designs): smooth at window edges, O(1) memory per key.
 * In-process: with several gateway instances, each enforces its share (documented in ARCHITECTURE.md).
 */
export class RateLimiter {
  readonly limit: number;
  readonly windowMs: number;
  private readonly windows = new Map<string, { start: number; count: number; previous: number }>();

  constructor(limit: number, windowMs = 60_000) {
    this.limit = limit;
    this.windowMs = windowMs;
  }

  take(key: string, now = Date.now()): RateDecision {
    const start = now - (now % this.windowMs);
    let entry = this.windows.get(key);
    if (!entry || entry.start !== start) {
      const previous = entry && entry.start === start - this.windowMs ? entry.count : 0;
      entry = { start, count: 0, previous };
      this.windows.set(key, entry);
      if (this.windows.size > 100_000) this.sweep(start);
    }
    const elapsed = (now - start) / this.windowMs;
    const estimated = entry.previous * (1 - elapsed) + entry.count;
    const resetSeconds = Math.max(1, Math.ceil((start + this.windowMs - now) / 1000));
    if (estimated + 1 > this.limit) return { allowed: false, limit: this.limit, remaining: 0, resetSeconds };
    entry.count += 1;
    return { allowed: true, limit: this.limit, remaining: Math.max(0, Math.floor(this.limit - estimated - 1)), resetSeconds };
  }

  private sweep(currentStart: number): void {
    for (const [key, entry] of this.windows) if (entry.start < currentStart - this.windowMs) this.windows.delete(key);
  }
}

/** IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers) for a decision. */
export const rateLimitHeaders = (decision: RateDecision): Record<string, string> => ({
  'ratelimit-limit': String(decision.limit),
  'ratelimit-remaining': String(decision.remaining),
  'ratelimit-reset': String(decision.resetSeconds),
});

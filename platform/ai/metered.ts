import type { TenantScope } from '../context.ts';
import type { Logger } from '../logger.ts';
import { checkRequest, estimatePromptTokens, monthOf } from './common.ts';
import type { Completion, CompletionRequest, LanguageModel } from './port.ts';

/**
 * The LanguageModel the product uses: the configured model (`primary`) with per-tenant monthly token
 * metering, a circuit breaker, and the local model as fallback.
 *
 * - Metering counts the tokens the primary reports (prompt + completion) per tenant and UTC month.
 *   Local answers are free and not counted. The budget is checked before each call: when the
 *   tenant's usage plus this request's estimated prompt tokens would pass it, `local` answers with
 *   `fallbackReason: 'over budget'`. Concurrent calls are checked against the same count, so the
 *   budget is a soft limit that can be passed by the requests in flight.
 * - Counts live in memory (a Map keyed by tenant and month). With `usageStore` they are loaded per
 *   tenant-month on first use and every addition is written through, so they survive restarts and are
 *   shared by processes reading the same store; a failing store is logged and never fails a completion.
 * - When the primary throws, or takes longer than `timeoutMs`, `local` answers with
 *   `fallbackReason: 'model unavailable: <message>'`.
 * - Circuit breaker: after `failureThreshold` (3) consecutive failures the primary is skipped for
 *   `cooldownMs` (30 s). Then one trial call goes through (others keep using local until it ends);
 *   success closes the circuit, failure opens it again.
 * - Without a primary, `local` is simply the model: no fallbackReason.
 * - Caller errors (unknown task, classify without labels) are thrown, never hidden by a fallback.
 */

/** Where monthly counts persist. `month` is `YYYY-MM` (UTC). */
export interface UsageStore {
  load(tenantId: string, month: string): Promise<number>;
  add(tenantId: string, month: string, tokens: number): Promise<void>;
}

export interface MeteredModelOptions {
  primary?: LanguageModel;
  local: LanguageModel;
  budgetTokensPerMonth: number;
  usageStore?: UsageStore;
  logger?: Logger;
  /** Upper bound for one primary call, ms. Default 60 000 (the primary usually has its own, shorter one). */
  timeoutMs?: number;
  failureThreshold?: number;
  cooldownMs?: number;
  /** Clock, injectable for tests. */
  now?: () => Date;
}

export interface MeteredModel extends LanguageModel {
  /** Circuit state, for health checks and metrics. */
  circuit(): { state: 'closed' | 'open' | 'half-open'; consecutiveFailures: number; lastError?: string };
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export const createMeteredModel = (options: MeteredModelOptions): MeteredModel => {
  const { primary, local, usageStore, logger } = options;
  const budget = options.budgetTokensPerMonth;
  const now = options.now ?? (() => new Date());
  const timeoutMs = options.timeoutMs ?? 60_000;
  const threshold = options.failureThreshold ?? 3;
  const cooldownMs = options.cooldownMs ?? 30_000;

  // ------------------------------------------------------------------ metering
  const counts = new Map<string, Promise<number>>();
  const keyOf = (tenantId: string, month: string): string => `${tenantId}|${month}`;

  const used = (tenantId: string, month: string): Promise<number> => {
    const key = keyOf(tenantId, month);
    let count = counts.get(key);
    if (!count) {
      count = usageStore
        ? usageStore.load(tenantId, month).catch((error: unknown) => {
            logger?.warn({ err: error, tenantId, month }, 'AI usage store unreadable; counting from zero');
            return 0;
          })
        : Promise.resolve(0);
      counts.set(key, count);
    }
    return count;
  };

  const record = async (tenantId: string, month: string, tokens: number): Promise<void> => {
    const key = keyOf(tenantId, month);
    const next = used(tenantId, month).then((n) => n + tokens);
    counts.set(key, next);
    await next;
    if (usageStore) {
      await usageStore.add(tenantId, month, tokens).catch((error: unknown) => logger?.warn({ err: error, tenantId, month }, 'AI usage not persisted'));
    }
  };

  // ------------------------------------------------------------------ circuit breaker
  let failures = 0;
  let openUntil = 0;
  let trialInFlight = false;
  let lastError: string | undefined;

  const circuit = (): ReturnType<MeteredModel['circuit']> => {
    const state = failures < threshold ? 'closed' : now().getTime() < openUntil ? 'open' : 'half-open';
    return { state, consecutiveFailures: failures, ...(lastError ? { lastError } : {}) };
  };

  /** Whether this call may use the primary; the half-open trial is handed to one caller at a time. */
  const admit = (): { ok: true; trial: boolean } | { ok: false } => {
    const state = circuit().state;
    if (state === 'closed') return { ok: true, trial: false };
    if (state === 'half-open' && !trialInFlight) {
      trialInFlight = true;
      return { ok: true, trial: true };
    }
    return { ok: false };
  };

  const succeeded = (): void => {
    failures = 0;
    lastError = undefined;
  };
  const failed = (message: string): void => {
    failures++;
    lastError = message;
    if (failures >= threshold) openUntil = now().getTime() + cooldownMs;
  };

  const withTimeout = async <T>(work: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        work,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  };

  const fallback = async (scope: TenantScope, request: CompletionRequest, reason: string): Promise<Completion> => {
    const completion = await local.complete(scope, request);
    logger?.info({ tenantId: scope.tenantId, task: request.task, reason }, 'AI fallback to local model');
    return { ...completion, fallbackReason: reason };
  };

  return {
    name: primary ? `metered(${primary.name}, fallback ${local.name})` : `metered(${local.name})`,

    async complete(scope, request) {
      checkRequest(request);
      if (!primary) return local.complete(scope, request);

      const month = monthOf(now());
      if ((await used(scope.tenantId, month)) + estimatePromptTokens(request) > budget) return fallback(scope, request, 'over budget');

      const admitted = admit();
      if (!admitted.ok) {
        return fallback(scope, request, `model unavailable: circuit open after ${failures} consecutive failures (last: ${lastError ?? 'unknown'})`);
      }
      let completion: Completion;
      try {
        completion = await withTimeout(primary.complete(scope, request));
      } catch (error) {
        failed(messageOf(error));
        logger?.warn({ err: error, tenantId: scope.tenantId, task: request.task, consecutiveFailures: failures }, 'AI primary model failed');
        return fallback(scope, request, `model unavailable: ${messageOf(error)}`);
      } finally {
        if (admitted.trial) trialInFlight = false;
      }
      succeeded();
      await record(scope.tenantId, month, completion.usage.promptTokens + completion.usage.completionTokens);
      return completion;
    },

    async usage(scope) {
      return { tokens: await used(scope.tenantId, monthOf(now())), budget };
    },

    circuit,
  };
};

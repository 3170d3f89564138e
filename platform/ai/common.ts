import type { TenantScope } from '../context.ts';
import { DomainError } from '../errors.ts';
import { digestOf } from '../provenance/canonical.ts';
import type { CompletionRequest } from './port.ts';

/** Helpers shared by every LanguageModel adapter, so provenance and metering mean the same everywhere. */

export const TASKS: readonly CompletionRequest['task'][] = ['summarize', 'classify', 'draft', 'extract', 'answer', 'critique', 'synthesize'];

/** The digest every adapter records: SHA-256 of the canonical {task, system, prompt, labels}. */
export const promptDigestOf = (request: CompletionRequest): string =>
  digestOf({ task: request.task, system: request.system, prompt: request.prompt, labels: request.labels });

/** Token estimate used where a model reports none: about four characters per token. */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

/** Tokens a request's input is estimated to cost (system, prompt and labels). */
export const estimatePromptTokens = (request: CompletionRequest): number =>
  estimateTokens((request.system ?? '') + request.prompt + (request.labels ?? []).join('\n'));

/** Metering period: the UTC calendar month, `YYYY-MM`. */
export const monthOf = (date: Date): string => date.toISOString().slice(0, 7);

/** Rejects requests no adapter can serve; the same checks everywhere, so fallback never hides a caller bug. */
export const checkRequest = (request: CompletionRequest): void => {
  const bad = (message: string): DomainError => new DomainError('INTERNAL_SERVER_ERROR', `LanguageModel: ${message}`);
  if (!request || !TASKS.includes(request.task)) throw bad(`task must be one of ${TASKS.join(', ')}`);
  if (typeof request.prompt !== 'string') throw bad('prompt must be a string');
  if (request.task === 'classify') {
    const labels = request.labels ?? [];
    if (labels.length === 0 || labels.some((l) => typeof l !== 'string' || l.trim() === '')) throw bad('classify needs a non-empty list of non-empty labels');
  }
  if (request.maxTokens !== undefined && (!Number.isInteger(request.maxTokens) || request.maxTokens < 1)) throw bad('maxTokens must be a positive integer');
};

/**
 * What a bare adapter counts: tokens per tenant and month, in memory. Bare adapters enforce no budget
 * (they report `budget: 0`, meaning "none"); `createMeteredModel` is the one that meters and enforces.
 */
export const createUsageCounter = (now: () => Date = () => new Date()) => {
  const counts = new Map<string, number>();
  const key = (scope: TenantScope): string => `${scope.tenantId}|${monthOf(now())}`;
  return {
    add(scope: TenantScope, tokens: number): void {
      counts.set(key(scope), (counts.get(key(scope)) ?? 0) + tokens);
    },
    async usage(scope: TenantScope): Promise<{ tokens: number; budget: number }> {
      return { tokens: counts.get(key(scope)) ?? 0, budget: 0 };
    },
  };
};

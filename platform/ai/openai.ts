import OpenAI from 'openai';
import { DomainError } from '../errors.ts';
import { checkRequest, createUsageCounter, estimatePromptTokens, estimateTokens, promptDigestOf } from './common.ts';
import type { Completion, CompletionRequest, LanguageModel } from './port.ts';

/**
 * LanguageModel over any OpenAI-compatible chat-completions endpoint (OpenAI itself, vLLM, Ollama,
 * LM Studio, ...), through the `openai` SDK.
 *
 * - Each task gets a short instruction as the system message; the caller's `system` follows it.
 * - classify asks for one label and validates the answer against `labels` (case, quotes and a
 *   trailing period are forgiven; an answer naming exactly one label inside a sentence is accepted).
 *   Anything else is an error, so the metered wrapper answers with the local model instead.
 * - Confidence: for classify, the probability the model gave its answer — exp(sum of the answer's
 *   token logprobs) — when the endpoint returns logprobs; 0.7 when it does not. For every other task
 *   a fixed 0.8: chat completions carry no calibrated confidence for free text.
 * - Provenance: method LLM, `model` as the response names it, `modelVersion` the response's
 *   `system_fingerprint` (or the model name), usage from `response.usage` (estimated when absent).
 * - Endpoints that reject `logprobs` (HTTP 400) are retried once without, and not asked again.
 * - Failures are thrown as DomainError ENGINE_UNAVAILABLE carrying the endpoint's message.
 */

export interface OpenAIModelOptions {
  /** Optional for local OpenAI-compatible servers that take no key. */
  apiKey?: string;
  baseURL?: string;
  model: string;
  /** Per request, ms. Default 30 000. */
  timeoutMs?: number;
  /** SDK retries of 429/5xx/connection errors. Default 1. */
  maxRetries?: number;
}

const INSTRUCTIONS: Record<CompletionRequest['task'], (request: CompletionRequest) => string> = {
  summarize: () => 'Summarize the text concisely and faithfully. Reply with the summary only.',
  classify: (r) => `Classify the text into exactly one of these labels:\n${(r.labels ?? []).map((l) => `- ${l}`).join('\n')}\nReply with the label only, exactly as written.`,
  draft: () => 'Write the requested draft from the facts given. Do not invent facts. Reply with the draft only.',
  extract: (r) =>
    r.labels?.length
      ? `Extract these fields from the text: ${r.labels.join(', ')}. Reply with a JSON object only; omit fields that are not in the text.`
      : 'Extract the key fields and entities (people, organizations, emails, URLs, money, dates) from the text. Reply with a JSON object only.',
  answer: () => 'Answer the question using only the given context. If the context does not contain the answer, say so.',
  critique: () => 'Critique the text: list hedges, unsupported claims and length problems, one per line starting with "- ".',
  synthesize: () => 'Merge the answers into one deduplicated list, best-supported points first, one per line starting with "- ".',
};

const normalize = (s: string): string =>
  s
    .trim()
    .replace(/^["'`*\s]+|["'`*.\s]+$/g, '')
    .toLowerCase();

/** The label the model named, or null. */
export const matchLabel = (answer: string, labels: readonly string[]): string | null => {
  const said = normalize(answer);
  const exact = labels.find((l) => normalize(l) === said);
  if (exact) return exact;
  const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const named = labels.filter((l) => new RegExp(`(^|[^\\p{L}\\p{N}])${escape(normalize(l))}($|[^\\p{L}\\p{N}])`, 'u').test(said));
  return named.length === 1 ? named[0] : null;
};

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export const createOpenAIModel = (options: OpenAIModelOptions): LanguageModel => {
  const client = new OpenAI({
    // The SDK insists on a key; local OpenAI-compatible servers usually ignore it.
    apiKey: options.apiKey || 'unused',
    baseURL: options.baseURL,
    timeout: options.timeoutMs ?? 30_000,
    maxRetries: options.maxRetries ?? 1,
  });
  const counter = createUsageCounter();
  let logprobsSupported = true;

  const call = async (request: CompletionRequest, withLogprobs: boolean) => {
    const system = [INSTRUCTIONS[request.task](request), request.system].filter(Boolean).join('\n\n');
    return client.chat.completions.create({
      model: options.model,
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: request.prompt },
      ],
      ...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
      ...(request.temperature !== undefined ? { temperature: request.temperature } : request.task === 'classify' ? { temperature: 0 } : {}),
      ...(withLogprobs ? { logprobs: true } : {}),
    });
  };

  return {
    name: `openai:${options.model}`,
    async complete(scope, request): Promise<Completion> {
      checkRequest(request);
      const wantLogprobs = request.task === 'classify' && logprobsSupported;
      let response: Awaited<ReturnType<typeof call>>;
      try {
        try {
          response = await call(request, wantLogprobs);
        } catch (error) {
          if (!(wantLogprobs && error instanceof OpenAI.BadRequestError)) throw error;
          logprobsSupported = false;
          response = await call(request, false);
        }
      } catch (error) {
        throw new DomainError('ENGINE_UNAVAILABLE', messageOf(error), { cause: error, rootCause: `${options.model}: ${messageOf(error)}` });
      }

      const choice = response.choices?.[0];
      const text = (choice?.message?.content ?? '').trim();
      if (!text) throw new DomainError('ENGINE_UNAVAILABLE', `${response.model ?? options.model} returned no content`);

      let label: string | undefined;
      let confidence = 0.8;
      if (request.task === 'classify') {
        const labels = request.labels ?? [];
        const matched = matchLabel(text, labels);
        if (!matched) throw new DomainError('ENGINE_UNAVAILABLE', `model answered "${text.slice(0, 80)}", which is not one of the labels`);
        label = matched;
        const tokens = choice?.logprobs?.content;
        confidence = tokens?.length ? Math.min(1, Math.max(0, Math.exp(tokens.reduce((sum, t) => sum + t.logprob, 0)))) : 0.7;
      }

      const usage = {
        promptTokens: response.usage?.prompt_tokens ?? estimatePromptTokens(request),
        completionTokens: response.usage?.completion_tokens ?? estimateTokens(text),
      };
      counter.add(scope, usage.promptTokens + usage.completionTokens);
      const model = response.model || options.model;
      return {
        text: label ?? text,
        ...(label !== undefined ? { label } : {}),
        confidence: Math.round(confidence * 1000) / 1000,
        method: 'LLM',
        model,
        modelVersion: response.system_fingerprint || model,
        promptDigest: promptDigestOf(request),
        usage,
      };
    },
    usage: (scope) => counter.usage(scope),
  };
};

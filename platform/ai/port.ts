import type { TenantScope } from '../context.ts';

/** One completion request. `task` names the use (summarize, classify, draft, ...) for metering and the local model. */
export interface CompletionRequest {
  task: 'summarize' | 'classify' | 'draft' | 'extract' | 'answer' | 'critique' | 'synthesize';
  system?: string;
  prompt: string;
  /** For classify: the allowed labels. */
  labels?: readonly string[];
  maxTokens?: number;
  temperature?: number;
}

/** A completion with everything provenance needs. */
export interface Completion {
  text: string;
  /** For classify: the chosen label. */
  label?: string;
  /** 0–1: the model's or the rule's confidence. */
  confidence: number;
  method: 'LLM' | 'RULE';
  model: string;
  modelVersion: string;
  /** SHA-256 of the canonical request (system, prompt, labels, task). */
  promptDigest: string;
  usage: { promptTokens: number; completionTokens: number };
  /** Set when the configured model was down or over budget and `local` answered instead. */
  fallbackReason?: string;
}

/** The LanguageModel port. Adapters: `openai` (any OpenAI-compatible endpoint) and `local` (deterministic, offline). */
export interface LanguageModel {
  readonly name: string;
  complete(scope: TenantScope, request: CompletionRequest): Promise<Completion>;
  /** Usage so far this month for the tenant, against its budget. */
  usage(scope: TenantScope): Promise<{ tokens: number; budget: number }>;
}

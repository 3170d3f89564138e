import type { Logger } from '../logger.ts';
import { createLocalModel } from './local.ts';
import { createMeteredModel, type MeteredModel, type UsageStore } from './metered.ts';
import { createOpenAIModel } from './openai.ts';

export interface LanguageModelConfig {
  openaiApiKey?: string;
  openaiBaseUrl?: string;
  openaiModel: string;
  aiMonthlyTokenBudget: number;
}

/**
 * The product's LanguageModel: the OpenAI-compatible endpoint when `OPENAI_API_KEY` or
 * `OPENAI_BASE_URL` is set, otherwise none; always metered per tenant, with the local model as
 * the fallback (and as the only model when no endpoint is configured).
 */
export const createLanguageModel = (config: LanguageModelConfig, deps: { usageStore?: UsageStore; logger?: Logger } = {}): MeteredModel => {
  const primary =
    config.openaiApiKey || config.openaiBaseUrl
      ? createOpenAIModel({ apiKey: config.openaiApiKey, baseURL: config.openaiBaseUrl, model: config.openaiModel })
      : undefined;
  return createMeteredModel({
    primary,
    local: createLocalModel(),
    budgetTokensPerMonth: config.aiMonthlyTokenBudget,
    ...(deps.usageStore ? { usageStore: deps.usageStore } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
};

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemScope } from '../context.ts';
import { DomainError } from '../errors.ts';
import { digestOf } from '../provenance/canonical.ts';
import { createLanguageModel } from './create.ts';
import { createLocalModel } from './local.ts';
import { createMeteredModel } from './metered.ts';
import { createOpenAIModel, matchLabel } from './openai.ts';

/**
 * A tiny OpenAI-compatible server on 127.0.0.1, port 0. Each test scripts its reply with `reply`;
 * every request body is recorded in `requests`.
 */
interface ChatRequest {
  model: string;
  messages: { role: string; content: string }[];
  logprobs?: boolean;
  max_tokens?: number;
  temperature?: number;
}
type Reply = (body: ChatRequest, req: IncomingMessage) => { status: number; json: unknown };

let server: Server;
let baseURL: string;
const requests: { path: string; auth: string | undefined; body: ChatRequest }[] = [];
let reply: Reply;

const completion = (content: string, extra: Record<string, unknown> = {}) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'gpt-test-2025-01-01',
  system_fingerprint: 'fp_abc123',
  choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content }, logprobs: null, ...extra }],
  usage: { prompt_tokens: 42, completion_tokens: 7, total_tokens: 49 },
});

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    req.on('end', () => {
      const body = JSON.parse(raw || '{}') as ChatRequest;
      requests.push({ path: req.url ?? '', auth: req.headers.authorization, body });
      const { status, json } = reply(body, req);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  requests.length = 0;
  reply = () => ({ status: 200, json: completion('ok') });
});

const scope = systemScope('acme', 'test');
const model = () => createOpenAIModel({ apiKey: 'sk-test', baseURL, model: 'gpt-test', maxRetries: 0 });

describe('openai adapter', () => {
  it('sends a chat completion with the task instruction and maps the response into a completion', async () => {
    reply = () => ({ status: 200, json: completion('The outage lasted three hours.') });
    const request = { task: 'summarize' as const, system: 'Be brief.', prompt: 'Long incident text.', maxTokens: 50 };
    const c = await model().complete(scope, request);
    expect(requests).toHaveLength(1);
    const sent = requests[0];
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.auth).toBe('Bearer sk-test');
    expect(sent.body.model).toBe('gpt-test');
    expect(sent.body.max_tokens).toBe(50);
    expect(sent.body.logprobs).toBeUndefined();
    expect(sent.body.messages[0].role).toBe('system');
    expect(sent.body.messages[0].content).toContain('Summarize');
    expect(sent.body.messages[0].content).toContain('Be brief.');
    expect(sent.body.messages[1]).toEqual({ role: 'user', content: 'Long incident text.' });
    expect(c).toEqual({
      text: 'The outage lasted three hours.',
      confidence: 0.8,
      method: 'LLM',
      model: 'gpt-test-2025-01-01',
      modelVersion: 'fp_abc123',
      promptDigest: digestOf({ task: 'summarize', system: 'Be brief.', prompt: 'Long incident text.' }),
      usage: { promptTokens: 42, completionTokens: 7 },
    });
  });

  it('classifies: asks for logprobs, validates the label, and takes confidence from the logprobs', async () => {
    reply = () => ({
      status: 200,
      json: completion('High', { logprobs: { content: [{ token: 'High', logprob: Math.log(0.9), bytes: null, top_logprobs: [] }], refusal: null } }),
    });
    const c = await model().complete(scope, { task: 'classify', prompt: 'Production is down', labels: ['low', 'medium', 'high'] });
    expect(requests[0].body.logprobs).toBe(true);
    expect(requests[0].body.temperature).toBe(0);
    expect(requests[0].body.messages[0].content).toContain('- medium');
    expect(c.label).toBe('high');
    expect(c.text).toBe('high');
    expect(c.confidence).toBeCloseTo(0.9, 3);
  });

  it('uses 0.7 for a classification without logprobs', async () => {
    reply = () => ({ status: 200, json: completion('low.') });
    const c = await model().complete(scope, { task: 'classify', prompt: 'typo', labels: ['low', 'high'] });
    expect(c.label).toBe('low');
    expect(c.confidence).toBe(0.7);
  });

  it('rejects an answer that is not one of the labels', async () => {
    reply = () => ({ status: 200, json: completion('somewhere in between') });
    const error = await model()
      .complete(scope, { task: 'classify', prompt: 'x', labels: ['low', 'high'] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).message).toContain('not one of the labels');
  });

  it('retries once without logprobs when the endpoint rejects them, and stops asking', async () => {
    reply = (body) => (body.logprobs ? { status: 400, json: { error: { message: 'logprobs not supported', type: 'invalid_request_error' } } } : { status: 200, json: completion('high') });
    const m = model();
    const c = await m.complete(scope, { task: 'classify', prompt: 'x', labels: ['low', 'high'] });
    expect(c.label).toBe('high');
    expect(c.confidence).toBe(0.7);
    expect(requests.map((r) => r.body.logprobs)).toEqual([true, undefined]);
    await m.complete(scope, { task: 'classify', prompt: 'y', labels: ['low', 'high'] });
    expect(requests.map((r) => r.body.logprobs)).toEqual([true, undefined, undefined]);
  });

  it('estimates usage when the endpoint reports none', async () => {
    reply = () => ({ status: 200, json: { ...completion('four'), usage: undefined } });
    const c = await model().complete(scope, { task: 'draft', prompt: '12345678' });
    // ceil(len("12345678") / 4) and ceil(len("four") / 4): the request as the caller sent it.
    expect(c.usage).toEqual({ promptTokens: 2, completionTokens: 1 });
  });

  it('throws ENGINE_UNAVAILABLE with the endpoint message on HTTP 500', async () => {
    reply = () => ({ status: 500, json: { error: { message: 'upstream exploded', type: 'server_error' } } });
    const error = await model()
      .complete(scope, { task: 'summarize', prompt: 'x' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('ENGINE_UNAVAILABLE');
    expect((error as DomainError).message).toContain('500');
  });
});

describe('openai adapter behind the metered model', () => {
  it('falls back to local, saying why, when the endpoint answers 500', async () => {
    reply = () => ({ status: 500, json: { error: { message: 'upstream exploded', type: 'server_error' } } });
    const ai = createMeteredModel({ primary: model(), local: createLocalModel(), budgetTokensPerMonth: 10_000 });
    const c = await ai.complete(scope, { task: 'classify', prompt: 'Production is down, urgent!', labels: ['low', 'high'] });
    expect(requests).toHaveLength(1);
    expect(c.method).toBe('RULE');
    expect(c.model).toBe('mesh-local');
    expect(c.label).toBe('high');
    expect(c.fallbackReason).toMatch(/^model unavailable: 500 /);
    expect(c.fallbackReason).toContain('upstream exploded');
  });

  it('meters the tokens the endpoint reports', async () => {
    const ai = createMeteredModel({ primary: model(), local: createLocalModel(), budgetTokensPerMonth: 10_000 });
    await ai.complete(scope, { task: 'summarize', prompt: 'x' });
    expect(await ai.usage(scope)).toEqual({ tokens: 49, budget: 10_000 });
  });
});

describe('createLanguageModel', () => {
  it('uses the OpenAI-compatible endpoint when a base URL is set, metered', async () => {
    const ai = createLanguageModel({ openaiBaseUrl: baseURL, openaiModel: 'gpt-test', aiMonthlyTokenBudget: 1_000 });
    expect(ai.name).toContain('openai:gpt-test');
    const c = await ai.complete(scope, { task: 'summarize', prompt: 'x' });
    expect(c.method).toBe('LLM');
    expect(requests[0].auth).toBe('Bearer unused');
    expect((await ai.usage(scope)).budget).toBe(1_000);
  });

  it('uses the local model alone when neither key nor base URL is set', async () => {
    const ai = createLanguageModel({ openaiModel: 'gpt-test', aiMonthlyTokenBudget: 1_000 });
    const c = await ai.complete(scope, { task: 'summarize', prompt: 'One sentence here.' });
    expect(c.method).toBe('RULE');
    expect(c.fallbackReason).toBeUndefined();
    expect(requests).toHaveLength(0);
  });
});

describe('matchLabel', () => {
  it('forgives case, quotes and punctuation, and accepts exactly one label named in a sentence', () => {
    expect(matchLabel('"High".', ['low', 'high'])).toBe('high');
    expect(matchLabel('The answer is: billing', ['billing', 'technical'])).toBe('billing');
    expect(matchLabel('low or high', ['low', 'high'])).toBeNull();
    expect(matchLabel('highest', ['low', 'high'])).toBeNull();
  });
});

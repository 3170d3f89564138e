import { systemScope, type TenantScope } from '../context.ts';
import { createLocalModel } from './local.ts';
import { createMeteredModel, type UsageStore } from './metered.ts';
import type { Completion, CompletionRequest, LanguageModel } from './port.ts';

const acme = systemScope('acme', 'test');
const globex = systemScope('globex', 'test');
// Estimated prompt tokens: ceil(("Production is down!" + "low\nhigh").length / 4) = 7.
const request: CompletionRequest = { task: 'classify', prompt: 'Production is down!', labels: ['low', 'high'] };

/** A scripted primary: answers with `usage` tokens, or fails while `failing` is set. */
const fakePrimary = (usage = { promptTokens: 100, completionTokens: 20 }) => {
  const state = { calls: 0, failing: null as string | null, hang: false };
  const model: LanguageModel = {
    name: 'fake-llm',
    async complete(_scope: TenantScope, r: CompletionRequest): Promise<Completion> {
      state.calls++;
      if (state.hang) return new Promise<Completion>(() => undefined);
      if (state.failing) throw new Error(state.failing);
      return { text: 'high', label: 'high', confidence: 0.9, method: 'LLM', model: 'fake-llm-1', modelVersion: 'fp_1', promptDigest: `digest:${r.prompt}`, usage };
    },
    usage: async () => ({ tokens: 0, budget: 0 }),
  };
  return { model, state };
};

/** A clock the test moves by hand. */
const clock = (start = Date.parse('2025-03-31T23:59:00Z')) => {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms) };
};

describe('metered model: budget', () => {
  it('uses the primary and meters its tokens per tenant and month', async () => {
    const { model: primary } = fakePrimary();
    const ai = createMeteredModel({ primary, local: createLocalModel(), budgetTokensPerMonth: 10_000 });
    const c = await ai.complete(acme, request);
    expect(c.method).toBe('LLM');
    expect(c.fallbackReason).toBeUndefined();
    await ai.complete(acme, request);
    expect(await ai.usage(acme)).toEqual({ tokens: 240, budget: 10_000 });
    expect(await ai.usage(globex)).toEqual({ tokens: 0, budget: 10_000 });
  });

  it('falls back to local with "over budget" once the tenant has spent its budget, other tenants unaffected', async () => {
    const { model: primary, state } = fakePrimary();
    const ai = createMeteredModel({ primary, local: createLocalModel(), budgetTokensPerMonth: 245 });
    expect((await ai.complete(acme, request)).method).toBe('LLM'); // 120 used
    expect((await ai.complete(acme, request)).method).toBe('LLM'); // 240 used
    const over = await ai.complete(acme, request); // 240 used + 7 estimated > 245
    expect(over.method).toBe('RULE');
    expect(over.model).toBe('mesh-local');
    expect(over.label).toBe('high');
    expect(over.fallbackReason).toBe('over budget');
    expect(state.calls).toBe(2);
    expect((await ai.usage(acme)).tokens).toBe(240); // local answers are free
    expect((await ai.complete(globex, request)).method).toBe('LLM');
  });

  it('starts a new count each UTC month', async () => {
    const { model: primary } = fakePrimary();
    const time = clock();
    const ai = createMeteredModel({ primary, local: createLocalModel(), budgetTokensPerMonth: 125, now: time.now });
    await ai.complete(acme, request);
    expect((await ai.complete(acme, request)).fallbackReason).toBe('over budget');
    time.advance(60_000); // 2025-04-01T00:00Z
    expect(await ai.usage(acme)).toEqual({ tokens: 0, budget: 125 });
    expect((await ai.complete(acme, request)).method).toBe('LLM');
  });

  it('with a zero budget, never calls the primary', async () => {
    const { model: primary, state } = fakePrimary();
    const ai = createMeteredModel({ primary, local: createLocalModel(), budgetTokensPerMonth: 0 });
    expect((await ai.complete(acme, request)).fallbackReason).toBe('over budget');
    expect(state.calls).toBe(0);
  });

  it('loads counts from and writes them through to a usage store', async () => {
    const saved = new Map<string, number>([['acme|2025-03', 1_000]]);
    const writes: string[] = [];
    const usageStore: UsageStore = {
      load: async (tenantId, month) => saved.get(`${tenantId}|${month}`) ?? 0,
      add: async (tenantId, month, tokens) => {
        writes.push(`${tenantId}|${month}|${tokens}`);
        saved.set(`${tenantId}|${month}`, (saved.get(`${tenantId}|${month}`) ?? 0) + tokens);
      },
    };
    const { model: primary } = fakePrimary();
    const time = clock(Date.parse('2025-03-10T12:00:00Z'));
    const ai = createMeteredModel({ primary, local: createLocalModel(), budgetTokensPerMonth: 1_005, usageStore, now: time.now });
    expect(await ai.usage(acme)).toEqual({ tokens: 1_000, budget: 1_005 });
    expect((await ai.complete(acme, request)).fallbackReason).toBe('over budget');
    await ai.complete(globex, request);
    expect(writes).toEqual(['globex|2025-03|120']);
    // A second instance (another process, a restart) sees the persisted count.
    const again = createMeteredModel({ primary, local: createLocalModel(), budgetTokensPerMonth: 1_005, usageStore, now: time.now });
    expect((await again.usage(globex)).tokens).toBe(120);
  });

  it('keeps answering when the usage store fails', async () => {
    const usageStore: UsageStore = {
      load: async () => {
        throw new Error('disk gone');
      },
      add: async () => {
        throw new Error('disk gone');
      },
    };
    const { model: primary } = fakePrimary();
    const ai = createMeteredModel({ primary, local: createLocalModel(), budgetTokensPerMonth: 10_000, usageStore });
    expect((await ai.complete(acme, request)).method).toBe('LLM');
    expect((await ai.usage(acme)).tokens).toBe(120);
  });
});

describe('metered model: failures and the circuit breaker', () => {
  it('falls back with "model unavailable: <message>" when the primary throws', async () => {
    const { model: primary, state } = fakePrimary();
    state.failing = 'connect ECONNREFUSED 127.0.0.1:9';
    const ai = createMeteredModel({ primary, local: createLocalModel(), budgetTokensPerMonth: 10_000 });
    const c = await ai.complete(acme, request);
    expect(c.method).toBe('RULE');
    expect(c.fallbackReason).toBe('model unavailable: connect ECONNREFUSED 127.0.0.1:9');
    expect((await ai.usage(acme)).tokens).toBe(0);
  });

  it('falls back when the primary does not answer in time', async () => {
    const { model: primary, state } = fakePrimary();
    state.hang = true;
    const ai = createMeteredModel({ primary, local: createLocalModel(), budgetTokensPerMonth: 10_000, timeoutMs: 10 });
    const c = await ai.complete(acme, request);
    expect(c.fallbackReason).toBe('model unavailable: no answer within 10 ms');
  });

  it('opens after 3 consecutive failures, skips the primary for 30 s, then closes on a successful trial', async () => {
    const { model: primary, state } = fakePrimary();
    const time = clock(Date.parse('2025-03-10T12:00:00Z'));
    const ai = createMeteredModel({ primary, local: createLocalModel(), budgetTokensPerMonth: 10_000, now: time.now });
    state.failing = 'HTTP 503';
    for (let i = 0; i < 3; i++) expect((await ai.complete(acme, request)).fallbackReason).toBe('model unavailable: HTTP 503');
    expect(state.calls).toBe(3);
    expect(ai.circuit()).toEqual({ state: 'open', consecutiveFailures: 3, lastError: 'HTTP 503' });

    state.failing = null; // recovered, but the circuit is open: no call goes through
    const skipped = await ai.complete(globex, request);
    expect(skipped.method).toBe('RULE');
    expect(skipped.fallbackReason).toBe('model unavailable: circuit open after 3 consecutive failures (last: HTTP 503)');
    time.advance(29_999);
    await ai.complete(acme, request);
    expect(state.calls).toBe(3);

    time.advance(1); // 30 s: one trial call goes through
    expect(ai.circuit().state).toBe('half-open');
    const trial = await ai.complete(acme, request);
    expect(trial.method).toBe('LLM');
    expect(state.calls).toBe(4);
    expect(ai.circuit()).toEqual({ state: 'closed', consecutiveFailures: 0 });
  });

  it('re-opens when the half-open trial fails', async () => {
    const { model: primary, state } = fakePrimary();
    const time = clock(Date.parse('2025-03-10T12:00:00Z'));
    const ai = createMeteredModel({ primary, local: createLocalModel(), budgetTokensPerMonth: 10_000, now: time.now });
    state.failing = 'down';
    for (let i = 0; i < 3; i++) await ai.complete(acme, request);
    time.advance(30_000);
    expect((await ai.complete(acme, request)).fallbackReason).toBe('model unavailable: down');
    expect(state.calls).toBe(4);
    expect(ai.circuit().state).toBe('open');
    await ai.complete(acme, request);
    expect(state.calls).toBe(4);
  });

  it('lets only one caller try the primary while half-open', async () => {
    const { model: primary, state } = fakePrimary();
    const time = clock(Date.parse('2025-03-10T12:00:00Z'));
    const ai = createMeteredModel({ primary, local: createLocalModel(), budgetTokensPerMonth: 10_000, now: time.now });
    state.failing = 'down';
    for (let i = 0; i < 3; i++) await ai.complete(acme, request);
    time.advance(30_000);
    state.failing = null;
    const results = await Promise.all([ai.complete(acme, request), ai.complete(acme, request), ai.complete(acme, request)]);
    expect(state.calls).toBe(4);
    expect(results.map((r) => r.method).sort()).toEqual(['LLM', 'RULE', 'RULE']);
  });

  it('resets the failure count on success: failures must be consecutive', async () => {
    const { model: primary, state } = fakePrimary();
    const ai = createMeteredModel({ primary, local: createLocalModel(), budgetTokensPerMonth: 10_000 });
    for (const failing of ['x', 'x', null, 'x', 'x', null]) {
      state.failing = failing;
      await ai.complete(acme, request);
    }
    expect(ai.circuit().state).toBe('closed');
    expect(state.calls).toBe(6);
  });
});

describe('metered model: without a primary, and caller errors', () => {
  it('answers with local and no fallback reason when no primary is configured', async () => {
    const ai = createMeteredModel({ local: createLocalModel(), budgetTokensPerMonth: 0 });
    const c = await ai.complete(acme, request);
    expect(c.method).toBe('RULE');
    expect(c.fallbackReason).toBeUndefined();
  });

  it('throws caller errors instead of hiding them behind a fallback', async () => {
    const { model: primary, state } = fakePrimary();
    const ai = createMeteredModel({ primary, local: createLocalModel(), budgetTokensPerMonth: 10_000 });
    await expect(ai.complete(acme, { task: 'classify', prompt: 'x' })).rejects.toThrow('labels');
    expect(state.calls).toBe(0);
    expect(ai.circuit().consecutiveFailures).toBe(0);
  });
});

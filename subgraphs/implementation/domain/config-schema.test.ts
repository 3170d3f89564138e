import { parseJsonDocument, validateAgainst, validateConfig, type BotConfigDocument } from './config-schema.ts';

export const validChatbot = (): BotConfigDocument => ({
  schemaVersion: 1,
  productType: 'CHATBOT',
  model: 'gpt-4',
  systemPrompt: 'You are the Acme shop assistant. Be concise.',
  objectives: ['Resolve order questions'],
  tools: [{ name: 'knowledge_search', enabled: true }],
  integrations: [{ provider: 'zendesk', enabled: true }],
  voice: null,
  escalationRules: [{ trigger: 'refund over $500', action: 'HANDOFF_TO_HUMAN', target: 'billing team' }],
  kpis: [{ name: 'CSAT', target: 4.5, unit: null }],
  edgeCases: [],
});

describe('config schema validator', () => {
  it('accepts a valid chatbot document', () => {
    expect(validateConfig(validChatbot())).toEqual([]);
  });

  it('reports every field error with its path', () => {
    const doc = { ...validChatbot(), model: 'gpt-2', tools: [{ name: 'Bad Name', enabled: 'yes' }], extra: 1 } as unknown;
    expect(validateConfig(doc)).toEqual([
      { path: 'model', message: 'must be one of gpt-4, gpt-4o, gpt-3.5-turbo, claude-3-opus, claude-3-sonnet, claude-3-haiku' },
      { path: 'tools[0].name', message: 'must match ^[a-z][a-z0-9_]{1,63}$' },
      { path: 'tools[0].enabled', message: 'must be a boolean, got string' },
      { path: 'extra', message: 'is not a known field' },
    ]);
  });

  it('validates voice speed 0.5–2.0 and the product-type rules', () => {
    const voice = { ...validChatbot(), productType: 'VOICEBOT', integrations: [], voice: { speed: 2.5, clarity: 0.8, style: 'warm', backgroundSound: null } };
    expect(validateConfig(voice)).toEqual([{ path: 'voice.speed', message: 'must be ≤ 2' }]);
    expect(validateConfig({ ...voice, voice: { speed: 0.4, clarity: 0.8, style: 'warm' } })).toEqual([{ path: 'voice.speed', message: 'must be ≥ 0.5' }]);
    expect(validateConfig({ ...voice, voice: null })).toEqual([{ path: 'voice', message: 'is required for a VOICEBOT' }]);
    expect(validateConfig({ ...voice, voice: { speed: 1, clarity: 1, style: 'warm' }, integrations: [{ provider: 'stripe', enabled: true }] })).toEqual([
      { path: 'integrations', message: 'external integrations are supported for CHATBOT only' },
    ]);
    expect(validateConfig({ ...validChatbot(), voice: { speed: 1, clarity: 1, style: 'warm' } })).toEqual([{ path: 'voice', message: 'must be null for a CHATBOT (voice parameters apply to voicebots)' }]);
  });

  it('requires fields, rejects duplicates and non-objects', () => {
    const { systemPrompt: _omit, ...noPrompt } = validChatbot();
    expect(validateConfig(noPrompt)).toEqual([{ path: 'systemPrompt', message: 'is required' }]);
    expect(validateConfig({ ...validChatbot(), tools: [{ name: 'a_b', enabled: true }, { name: 'a_b', enabled: false }] })).toEqual([{ path: 'tools[1].name', message: 'duplicate tool "a_b"' }]);
    expect(validateConfig([1])).toEqual([{ path: '(document)', message: 'must be an object, got array' }]);
    expect(validateAgainst({ type: 'number', integer: true }, 1.5, 'x')).toEqual([{ path: 'x', message: 'must be an integer' }]);
  });

  it('parses JSON or says why not', () => {
    expect(parseJsonDocument('{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJsonDocument('{a:1}').ok).toBe(false);
  });
});

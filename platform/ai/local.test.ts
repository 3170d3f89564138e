import { systemScope } from '../context.ts';
import { DomainError } from '../errors.ts';
import { digestOf } from '../provenance/canonical.ts';
import { createLocalModel } from './local.ts';
import type { CompletionRequest } from './port.ts';
import { sentences, stem, terms } from './text.ts';

const scope = systemScope('tenant-local', 'test');
const model = createLocalModel();
const run = (request: CompletionRequest) => model.complete(scope, request);

const INCIDENT = [
  'Acme Corp reported a production outage on Monday.',
  'The outage affected the billing service for three hours.',
  'Engineers traced the outage to a misconfigured database failover.',
  'The billing service was restored after the failover was fixed.',
  'Customers received credits for the billing outage.',
  'The weather was nice that day.',
  'A postmortem on the database failover is scheduled for Friday.',
].join(' ');

describe('local model: provenance fields', () => {
  it('reports RULE, mesh-local v1, the canonical prompt digest and estimated tokens', async () => {
    const request: CompletionRequest = { task: 'classify', system: 'Sort tickets.', prompt: 'The app crashes on start', labels: ['bug', 'feature'] };
    const c = await run(request);
    expect(c.method).toBe('RULE');
    expect(c.model).toBe('mesh-local');
    expect(c.modelVersion).toBe('1');
    expect(c.promptDigest).toBe(digestOf({ task: 'classify', system: 'Sort tickets.', prompt: 'The app crashes on start', labels: ['bug', 'feature'] }));
    expect(c.usage.promptTokens).toBe(Math.ceil(('Sort tickets.' + 'The app crashes on start' + 'bug\nfeature').length / 4));
    expect(c.usage.completionTokens).toBe(Math.ceil(c.text.length / 4));
    expect(c.fallbackReason).toBeUndefined();
  });

  it('gives a different digest when any part of the request changes', async () => {
    const base: CompletionRequest = { task: 'summarize', prompt: 'One. Two.' };
    const digests = new Set(
      await Promise.all(
        [base, { ...base, prompt: 'One. Three.' }, { ...base, system: 'be brief' }, { ...base, task: 'critique' as const }].map(async (r) => (await run(r)).promptDigest),
      ),
    );
    expect(digests.size).toBe(4);
  });

  it('is deterministic: the same request gives the same completion, every task', async () => {
    const requests: CompletionRequest[] = [
      { task: 'summarize', prompt: INCIDENT },
      { task: 'classify', prompt: 'Production is down!', labels: ['low', 'medium', 'high'] },
      { task: 'draft', prompt: 'intent: follow-up\nrecipient: Jane\ntopic: renewal' },
      { task: 'extract', prompt: 'Contact jane@acme.com, budget $5,000.' },
      { task: 'answer', prompt: `Question: How long did the outage last?\nContext: ${INCIDENT}` },
      { task: 'critique', prompt: 'This is clearly the best product ever made.' },
      { task: 'synthesize', prompt: '- a b c\n- a b c d\n- x y z' },
    ];
    for (const r of requests) {
      const [first, second] = [await run(r), await createLocalModel().complete(systemScope('another', 'test'), r)];
      expect(second).toEqual(first);
    }
  });

  it('refuses classify without labels and unknown tasks, as a caller error', async () => {
    await expect(run({ task: 'classify', prompt: 'x' })).rejects.toBeInstanceOf(DomainError);
    await expect(run({ task: 'classify', prompt: 'x', labels: [] })).rejects.toThrow('labels');
    await expect(run({ task: 'translate' as CompletionRequest['task'], prompt: 'x' })).rejects.toThrow('task');
  });

  it('counts usage per tenant', async () => {
    const m = createLocalModel();
    const a = systemScope('usage-a', 'test');
    const c = await m.complete(a, { task: 'summarize', prompt: INCIDENT });
    expect((await m.usage(a)).tokens).toBe(c.usage.promptTokens + c.usage.completionTokens);
    expect((await m.usage(systemScope('usage-b', 'test'))).tokens).toBe(0);
  });
});

describe('local model: summarize', () => {
  it('extracts the highest-scoring sentences in their original order, dropping off-topic ones', async () => {
    const c = await run({ task: 'summarize', prompt: INCIDENT });
    const picked = sentences(c.text);
    expect(picked.length).toBe(2); // 30% of seven sentences
    const positions = picked.map((s) => sentences(INCIDENT).indexOf(s));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort()).toEqual(positions);
    expect(c.text).not.toContain('weather');
    expect(c.confidence).toBeGreaterThan(0);
    expect(c.confidence).toBeLessThanOrEqual(0.95);
  });

  it('stays within maxTokens and returns nothing for an empty text', async () => {
    const c = await run({ task: 'summarize', prompt: INCIDENT, maxTokens: 16 });
    expect(c.text.length).toBeLessThanOrEqual(16 * 4);
    const empty = await run({ task: 'summarize', prompt: '   ' });
    expect(empty.text).toBe('');
    expect(empty.confidence).toBe(0);
  });
});

describe('local model: classify', () => {
  const urgency = ['low', 'medium', 'high'];

  it('scores labels by lexicon evidence', async () => {
    const high = await run({ task: 'classify', prompt: 'Production is down and customers cannot log in, fix it immediately!', labels: urgency });
    expect(high.label).toBe('high');
    expect(high.text).toBe('high');
    const low = await run({ task: 'classify', prompt: 'Just a minor cosmetic typo on the settings page.', labels: urgency });
    expect(low.label).toBe('low');
  });

  it('does not count negated words as evidence', async () => {
    const c = await run({ task: 'classify', prompt: "This is not urgent, and it isn't critical either.", labels: ['urgent', 'critical', 'other'] });
    expect(c.label).toBe('other');
    expect(c.confidence).toBeCloseTo(1 / 3, 3);
  });

  it('uses keywords given per label in the system prompt', async () => {
    const labels = ['onboarding', 'integrations', 'other'];
    const c = await run({ task: 'classify', system: 'onboarding: kickoff, setup, welcome\nintegrations: salesforce, webhook, api', prompt: 'The Salesforce webhook stopped firing', labels });
    expect(c.label).toBe('integrations');
  });

  it('calibrates confidence as a softmax: more evidence, more confidence; none gives 1/labels', async () => {
    const one = await run({ task: 'classify', prompt: 'There is an outage.', labels: urgency });
    const many = await run({ task: 'classify', prompt: 'Critical outage in production, urgent, customers blocked, emergency.', labels: urgency });
    expect(one.label).toBe('high');
    expect(many.label).toBe('high');
    expect(many.confidence).toBeGreaterThan(one.confidence);
    expect(many.confidence).toBeLessThan(1);
    const none = await run({ task: 'classify', prompt: 'The sky is blue.', labels: urgency });
    expect(none.label).toBe('medium'); // the neutral-sounding label when nothing is evidence
    expect(none.confidence).toBeCloseTo(1 / 3, 3);
    const noNeutral = await run({ task: 'classify', prompt: 'The sky is blue.', labels: ['bug', 'billing'] });
    expect(noNeutral.label).toBe('bug');
    expect(noNeutral.confidence).toBe(0.5);
  });

  it('matches inflected forms through stemming', async () => {
    const c = await run({ task: 'classify', prompt: 'The exporter crashed twice and keeps crashing', labels: ['feature', 'bug'] });
    expect(c.label).toBe('bug');
  });
});

describe('local model: draft', () => {
  it('fills an intent template from key facts', async () => {
    const c = await run({ task: 'draft', prompt: 'intent: escalation\nrecipient: Priya\ntopic: the failed data import\nsender: Sam\nticket: T-1042' });
    expect(c.text).toContain('Subject: Escalation: the failed data import');
    expect(c.text).toContain('Hi Priya,');
    expect(c.text).toContain("I'm escalating the failed data import");
    expect(c.text).toContain('- ticket: T-1042');
    expect(c.text.trimEnd().endsWith('Sam')).toBe(true);
    expect(c.confidence).toBe(0.9);
  });

  it('reads recipient and topic from an instruction, and lowers confidence for defaulted slots', async () => {
    const c = await run({ task: 'draft', prompt: 'Write a follow-up email to Jane Doe about the Q3 renewal.\nDeadline: Friday' });
    expect(c.text).toContain('Hi Jane Doe,');
    expect(c.text).toContain('Follow-up: the Q3 renewal');
    expect(c.text).toContain('by Friday?');
    expect(c.text).not.toContain('Write a follow-up'); // the instruction is not copied into the draft
    expect(c.text).toContain('Your account team');
    expect(c.confidence).toBeCloseTo(0.4 + 0.5 * (2 / 3), 3);
  });

  it('builds a numbered agenda', async () => {
    const c = await run({ task: 'draft', prompt: 'intent: agenda\ntopic: QBR with Acme\ndate: 2025-03-04\nUsage grew 20% this quarter.' });
    expect(c.text.split('\n')).toEqual(['Agenda: QBR with Acme', 'Date: 2025-03-04', '', '1. Usage grew 20% this quarter.', '2. Open questions', '3. Next steps and owners']);
  });
});

describe('local model: extract', () => {
  it('extracts key: value fields and entities as JSON', async () => {
    const c = await run({
      task: 'extract',
      prompt: 'Company: Acme Corp\nIndustry: Logistics\nContact Jane Doe at jane@acme.com or https://acme.com. They raised $12M on March 3, 2024 and grew 35% YoY.',
    });
    expect(JSON.parse(c.text)).toEqual({
      fields: { company: 'Acme Corp', industry: 'Logistics' },
      entities: {
        emails: ['jane@acme.com'],
        urls: ['https://acme.com'],
        money: ['$12M'],
        percentages: ['35%'],
        dates: ['March 3, 2024'],
        names: ['Acme Corp', 'Jane Doe'],
      },
    });
    expect(c.confidence).toBe(0.9);
  });

  it('extracts the requested labels, with confidence = share found', async () => {
    const c = await run({ task: 'extract', prompt: 'The industry is logistics. Size: 200 employees.', labels: ['industry', 'size', 'funding'] });
    expect(JSON.parse(c.text).fields).toEqual({ industry: 'logistics', size: '200 employees' });
    expect(c.confidence).toBeCloseTo(2 / 3, 3);
  });

  it('reports zero confidence when there is nothing to extract', async () => {
    const c = await run({ task: 'extract', prompt: 'nothing here at all' });
    expect(JSON.parse(c.text)).toEqual({ fields: {}, entities: {} });
    expect(c.confidence).toBe(0);
  });
});

describe('local model: answer', () => {
  it('returns the context sentence that best matches the question', async () => {
    const c = await run({ task: 'answer', prompt: `Question: How long did the billing outage last?\nContext: ${INCIDENT}` });
    expect(c.text).toBe('The outage affected the billing service for three hours.');
    expect(c.confidence).toBeGreaterThan(0.3);
  });

  it('accepts the context first and the question after, or an unlabelled question line', async () => {
    const a = await run({ task: 'answer', prompt: `Context: ${INCIDENT}\nQuestion: When is the postmortem scheduled?` });
    expect(a.text).toBe('A postmortem on the database failover is scheduled for Friday.');
    const b = await run({ task: 'answer', prompt: `What caused the outage?\n${INCIDENT}` });
    expect(b.text).toBe('Engineers traced the outage to a misconfigured database failover.');
  });

  it('says so, with zero confidence, when the context has no answer', async () => {
    const c = await run({ task: 'answer', prompt: `Question: Who won the football match?\nContext: ${INCIDENT}` });
    expect(c.text).toBe('No answer found in the provided context.');
    expect(c.confidence).toBe(0);
  });

  it('gives more confidence to a fuller match', async () => {
    const full = await run({ task: 'answer', prompt: 'Question: which database failover was misconfigured?\nContext: The database failover was misconfigured. Lunch was late.' });
    const partial = await run({ task: 'answer', prompt: 'Question: which database failover was misconfigured?\nContext: The database is large. Lunch was late.' });
    expect(full.confidence).toBeGreaterThan(partial.confidence);
  });
});

describe('local model: critique', () => {
  it('flags hedges, unsourced claims and short texts, and scores the text', async () => {
    const c = await run({ task: 'critique', prompt: 'Our product is clearly the best on the market. It might reduce costs by 40%.' });
    expect(c.text).toContain('Unsupported claim in sentence 1 ("clearly")');
    expect(c.text).toContain('Hedge in sentence 2 ("might")');
    expect(c.text).toContain('Unsupported claim in sentence 2 ("40%")');
    expect(c.text).toContain('Length: 15 words');
    expect(c.text).toContain('Score: 0.5');
  });

  it('accepts a claim that names its source', async () => {
    const c = await run({ task: 'critique', prompt: 'According to the 2024 Gartner report, adoption grew 12% across mid-market logistics firms in Europe and North America last year.' });
    expect(c.text).toBe('No issues found.\nScore: 1');
  });

  it('flags long texts and long sentences', async () => {
    const long = Array.from({ length: 40 }, (_, i) => `Point number ${i} explains one detail of the rollout plan for the team.`).join(' ');
    const c = await run({ task: 'critique', prompt: long });
    expect(c.text).toMatch(/Length: \d+ words; aim for under 300/);
    const run_on = await run({ task: 'critique', prompt: `${'word '.repeat(40)}end.` });
    expect(run_on.text).toContain('Long sentence 1 (41 words)');
    expect(c.confidence).toBeGreaterThan(run_on.confidence);
  });
});

describe('local model: synthesize', () => {
  it('merges near-duplicate items across list styles and orders them by support', async () => {
    const c = await run({
      task: 'synthesize',
      prompt: [
        'Answer A:',
        '- Restart the billing service',
        '- Add monitoring for database failover',
        'Answer B:',
        '1. Restart the billing service now',
        '2) Credit affected customers',
        '* add monitoring to the database failover',
        '- Restart billing service',
      ].join('\n'),
    });
    expect(c.text.split('\n')).toEqual([
      '- Restart the billing service (support: 3)', // equal term sets: the first wording wins
      '- Add monitoring for database failover (support: 2)',
      '- Credit affected customers (support: 1)',
    ]);
    expect(c.confidence).toBeCloseTo(0.3 + 0.6 * (5 / 6), 3);
  });

  it('has low confidence when nothing agrees', async () => {
    const c = await run({ task: 'synthesize', prompt: '- alpha beta\n- gamma delta\n- epsilon zeta' });
    expect(c.text.split('\n')).toHaveLength(3);
    expect(c.confidence).toBe(0.3);
  });
});

describe('text tools', () => {
  it('stems inflections to one form', () => {
    expect(new Set(['escalate', 'escalated', 'escalation', 'escalating', 'escalates'].map(stem)).size).toBe(1);
    expect(new Set(['crash', 'crashes', 'crashed', 'crashing'].map(stem)).size).toBe(1);
    expect(stem('bug')).toBe('bug');
    expect(stem('class')).toBe('class');
  });

  it('splits sentences but not abbreviations, and drops stopwords from terms', () => {
    expect(sentences('See e.g. Section Two. Then stop!\nNew line')).toEqual(['See e.g. Section Two.', 'Then stop!', 'New line']);
    expect(terms('The outages were in production')).toEqual(['outag', 'production'].map((t) => stem(t === 'outag' ? 'outages' : t)));
  });
});

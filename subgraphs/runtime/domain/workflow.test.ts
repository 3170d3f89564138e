import { advance, answerPrompt, citedPassages, decide, NO_ANSWER_TEXT, startWorkflow } from './workflow.ts';

const passages = [
  { id: 'd#0', text: 'Refunds take five business days.', score: 1.2 },
  { id: 'd#1', text: 'Shipping is free over 50 euros.', score: 0.3 },
];

describe('two-node workflow (agent → tools → agent)', () => {
  it('starts at the agent, which calls the knowledge search tool', () => {
    const state = startWorkflow('How long do refunds take?');
    expect(state.path).toEqual(['AGENT']);
    expect(decide(state)).toEqual({ kind: 'CALL_TOOL', tool: 'knowledge_search', query: 'How long do refunds take?', first: 3 });
  });

  it('asks the model with the retrieved passages as context, then finishes without escalation at the threshold', () => {
    let state = advance(startWorkflow('How long do refunds take?', 0.5), { type: 'TOOL_RESULT', passages });
    expect(state.path).toEqual(['AGENT', 'TOOLS', 'AGENT']);
    const action = decide(state);
    expect(action.kind).toBe('CALL_MODEL');
    if (action.kind === 'CALL_MODEL') expect(action.prompt).toBe('Question: How long do refunds take?\nContext:\nRefunds take five business days.\nShipping is free over 50 euros.');
    state = advance(state, { type: 'MODEL_RESULT', text: 'Refunds take five business days.', confidence: 0.5, method: 'LLM' });
    const done = decide(state);
    expect(done.kind).toBe('FINISH');
    if (done.kind === 'FINISH') {
      expect(done.outcome).toMatchObject({ text: 'Refunds take five business days.', confidence: 0.5, method: 'LLM', citedPassageIds: ['d#0'], escalate: false });
    }
  });

  it('escalates when confidence is below the threshold', () => {
    const state = advance(advance(startWorkflow('q refunds', 0.5), { type: 'TOOL_RESULT', passages }), { type: 'MODEL_RESULT', text: 'Maybe.', confidence: 0.49, method: 'RULE' });
    expect(state.outcome?.escalate).toBe(true);
    expect(state.outcome?.citedPassageIds).toEqual(['d#0', 'd#1']);
  });

  it('answers by rule and escalates when nothing is retrieved', () => {
    const state = advance(startWorkflow('What is the capital of Mars?'), { type: 'TOOL_RESULT', passages: [] });
    expect(decide(state)).toEqual({ kind: 'FINISH', outcome: { text: NO_ANSWER_TEXT, confidence: 0, method: 'RULE', citedPassageIds: [], escalate: true, reason: 'no knowledge base passage matched the question' } });
  });

  it('rejects invalid transitions', () => {
    expect(() => advance(startWorkflow('q'), { type: 'MODEL_RESULT', text: 'x', confidence: 1, method: 'LLM' })).toThrow('model result before retrieval');
    const retrieved = advance(startWorkflow('q'), { type: 'TOOL_RESULT', passages });
    expect(() => advance(retrieved, { type: 'TOOL_RESULT', passages })).toThrow('tools node already ran');
    const finished = advance(retrieved, { type: 'MODEL_RESULT', text: 'x', confidence: 1, method: 'LLM' });
    expect(() => advance(finished, { type: 'MODEL_RESULT', text: 'x', confidence: 1, method: 'LLM' })).toThrow('already finished');
  });

  it('clamps model confidence into 0..1', () => {
    const state = advance(advance(startWorkflow('q'), { type: 'TOOL_RESULT', passages }), { type: 'MODEL_RESULT', text: 'shipping', confidence: 1.7, method: 'LLM' });
    expect(state.outcome?.confidence).toBe(1);
    expect(state.outcome?.citedPassageIds).toEqual(['d#1']);
  });

  it('cites passages sharing terms with the answer, or all of them', () => {
    expect(citedPassages('Refunds need five days', passages)).toEqual(['d#0']);
    expect(citedPassages('Yes.', passages)).toEqual(['d#0', 'd#1']);
    expect(answerPrompt('q', [])).toBe('Question: q\nContext:\n');
  });
});

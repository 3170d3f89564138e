import { pickLead, reviewPairs, subtaskFor, synthesisRationale, type CollaborationAgent } from './collaboration.ts';

const agent = (key: string, role: CollaborationAgent['role']): CollaborationAgent => ({ key, name: key, role, instructions: '' });

describe('collaboration rules', () => {
  it('picks the lead: facilitator, else synthesis, else the first', () => {
    expect(pickLead([agent('a', 'CREATIVE'), agent('b', 'SYNTHESIS'), agent('c', 'FACILITATOR')]).key).toBe('c');
    expect(pickLead([agent('a', 'CREATIVE'), agent('b', 'SYNTHESIS')]).key).toBe('b');
    expect(pickLead([agent('a', 'CREATIVE'), agent('b', 'CRITICAL')]).key).toBe('a');
  });

  it('has critical agents review everyone else except the synthesizer', () => {
    expect(reviewPairs([agent('a', 'CREATIVE'), agent('b', 'CRITICAL'), agent('c', 'SYNTHESIS'), agent('d', 'FACILITATOR')])).toEqual([
      { reviewer: 'b', author: 'a' },
      { reviewer: 'b', author: 'd' },
    ]);
    expect(reviewPairs([agent('a', 'CREATIVE')])).toEqual([]);
  });

  it('delegates by role', () => {
    expect(subtaskFor('launch', 'CRITICAL')).toBe('List the risks and open questions of: launch');
  });

  it('records which contributions were used and scales confidence by their share', () => {
    expect(synthesisRationale([{ agentKey: 'a', outcome: 'ALLOW', confidence: 0.8 }, { agentKey: 'b', outcome: 'BLOCK', confidence: 0.5 }, { agentKey: 'c', outcome: 'REDACT', confidence: 0.6 }, { agentKey: 'd', outcome: 'WARN', confidence: 0.7 }], 0.8, 2)).toEqual({
      rationale: 'Used 3 of 4 contributions (a, c, d); withheld by policy: b; 2 peer review(s) considered; conflicts resolved by grouping overlapping points and ranking them by how many agents support them.',
      confidence: 0.6,
      used: ['a', 'c', 'd'],
      withheld: ['b'],
    });
  });
});

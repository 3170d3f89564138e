import { enrichedContent, enrichmentFragments, isRelevant } from './enrichment.ts';
import type { Passion } from './passions.ts';

const passion = (topic: string, authenticity: number, patch: Partial<Passion> = {}): Passion => ({ topic, authenticity, demonstratedCount: 2, activeMonths: 1, sources: ['INTEREST'], canMentor: false, wantsToLearn: false, explanation: '', ...patch });

describe('enrichment', () => {
  it('matches topics by whole words', () => {
    expect(isRelevant('Draft the data viz for Q3', 'data viz')).toBe(true);
    expect(isRelevant('Draft the database notes', 'data viz')).toBe(false);
  });

  it('prefers relevant passions and shapes fragments by tag', () => {
    const fragments = enrichmentFragments('Plan the data viz and the rust service', [passion('gardening', 0.9), passion('data viz', 0.5, { canMentor: true }), passion('rust', 0.1, { wantsToLearn: true, demonstratedCount: 0 })]);
    expect(fragments.map((f) => [f.kind, f.topic])).toEqual([['MENTORING', 'data viz'], ['LEARNING', 'rust']]);
    expect(enrichedContent('Plan', fragments)).toBe('Plan\n\nPersonal context:\n- You mentor others in data viz: an example from that experience would make this yours.\n- This touches rust, which you want to learn: a chance to try it here.');
  });

  it('falls back to the most authentic passion, or nothing', () => {
    expect(enrichmentFragments('Weekly report', [passion('gardening', 0.9), passion('chess', 0.4)]).map((f) => [f.topic, f.relevant])).toEqual([['gardening', false]]);
    expect(enrichmentFragments('Weekly report', [passion('chess', 0.2)])).toEqual([]);
    expect(enrichedContent('Weekly report', [])).toBe('Weekly report');
  });
});

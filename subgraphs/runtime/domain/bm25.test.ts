import { idf, passageTerms, queryTerms, rankPassages } from './bm25.ts';

const p = (id: string, text: string, title = '') => ({ id, documentId: id.split('#')[0], title, text });

describe('BM25 ranking', () => {
  it('computes the BM25+ idf, never negative', () => {
    expect(idf(3, 2)).toBeCloseTo(Math.log(1.6), 12);
    expect(idf(1, 1)).toBeCloseTo(Math.log(1 + 0.5 / 1.5), 12);
    expect(idf(10, 10)).toBeGreaterThan(0);
  });

  it('indexes title and text as stemmed terms without stopwords', () => {
    const indexed = passageTerms(p('a#0', 'The refunds policy', 'Billing'));
    expect(indexed).toHaveLength(3); // billing, refunds, policy; "the" is a stopword
    expect(indexed[1]).toBe(queryTerms('refund')[0]);
    expect(queryTerms('refund the refunds?')).toEqual(['refund']);
  });

  it('ranks hand-computed scores (k1 = 1.2, b = 0.75)', () => {
    // Terms: a = [refund, policy] (2), b = [shipp, policy, today] (3), c = [refund, refund] (2); avg = 7/3.
    const passages = [p('a#0', 'refund policy'), p('b#0', 'shipping policy today'), p('c#0', 'refund refund')];
    const ranked = rankPassages('refund', passages, 10);
    const norm = 1.2 * (0.25 + (0.75 * 2) / (7 / 3));
    expect(ranked.map((r) => r.passage.id)).toEqual(['c#0', 'a#0']);
    expect(ranked[0].score).toBeCloseTo((Math.log(1.6) * 2 * 2.2) / (2 + norm), 10);
    expect(ranked[0].score).toBeCloseTo(0.6733, 4);
    expect(ranked[1].score).toBeCloseTo((Math.log(1.6) * 1 * 2.2) / (1 + norm), 10);
    expect(ranked[1].score).toBeCloseTo(0.4992, 4);
    expect(ranked[0].matchedTerms).toEqual(['refund']);
  });

  it('sums over distinct query terms and honours first', () => {
    const passages = [p('a#0', 'refund policy'), p('b#0', 'shipping policy today'), p('c#0', 'refund refund')];
    const ranked = rankPassages('refund policy policy', passages, 1);
    expect(ranked).toHaveLength(1);
    expect(ranked[0].passage.id).toBe('a#0');
    expect(ranked[0].matchedTerms).toEqual(['refund', 'policy']);
  });

  it('returns nothing for no match, an empty query, no passages or first = 0', () => {
    const passages = [p('a#0', 'refund policy')];
    expect(rankPassages('warranty', passages, 5)).toEqual([]);
    expect(rankPassages('the of and', passages, 5)).toEqual([]);
    expect(rankPassages('refund', [], 5)).toEqual([]);
    expect(rankPassages('refund', passages, 0)).toEqual([]);
  });

  it('breaks ties by passage id', () => {
    const ranked = rankPassages('refund', [p('z#0', 'refund'), p('a#0', 'refund')], 5);
    expect(ranked.map((r) => r.passage.id)).toEqual(['a#0', 'z#0']);
  });
});

import { terms } from '../../../platform/ai/text.ts';

/** BM25 parameters (the usual Lucene defaults). */
export const BM25_K1 = 1.2;
export const BM25_B = 0.75;

/** A passage of the knowledge base as the ranker sees it. */
export interface RankablePassage {
  id: string;
  documentId: string;
  title: string;
  text: string;
}

/** A passage with its BM25 score and the query terms it matched. */
export interface RankedPassage<P extends RankablePassage = RankablePassage> {
  passage: P;
  score: number;
  matchedTerms: string[];
}

/** Terms a passage is indexed by: its document's title and its own text (stemmed, no stopwords). */
export const passageTerms = (passage: RankablePassage): string[] => terms(`${passage.title}\n${passage.text}`);

/** Distinct query terms, in order of first appearance. */
export const queryTerms = (query: string): string[] => [...new Set(terms(query))];

/** Inverse document frequency, BM25+ style (never negative): ln(1 + (N − n + 0.5) / (n + 0.5)). */
export const idf = (documentCount: number, documentsWithTerm: number): number => Math.log(1 + (documentCount - documentsWithTerm + 0.5) / (documentsWithTerm + 0.5));

/**
 * Okapi BM25 over the given passages (the tenant's whole knowledge base): every passage is a document.
 * score(p) = Σ_t idf(t) · f(t,p)·(k1+1) / (f(t,p) + k1·(1 − b + b·|p|/avg|p|)) over the distinct query terms.
 * Only passages with a positive score are returned, best first; ties by passage id. Pure.
 */
export const rankPassages = <P extends RankablePassage>(query: string, passages: readonly P[], first: number): RankedPassage<P>[] => {
  const q = queryTerms(query);
  if (q.length === 0 || passages.length === 0 || first <= 0) return [];
  const docs = passages.map((passage) => ({ passage, terms: passageTerms(passage) }));
  const avgLen = docs.reduce((n, d) => n + d.terms.length, 0) / docs.length || 1;
  const df = new Map<string, number>();
  for (const d of docs) for (const t of new Set(d.terms)) df.set(t, (df.get(t) ?? 0) + 1);
  const ranked: RankedPassage<P>[] = [];
  for (const d of docs) {
    let score = 0;
    const matched: string[] = [];
    for (const t of q) {
      let f = 0;
      for (const x of d.terms) if (x === t) f += 1;
      if (f === 0) continue;
      matched.push(t);
      score += (idf(docs.length, df.get(t) ?? 0) * f * (BM25_K1 + 1)) / (f + BM25_K1 * (1 - BM25_B + (BM25_B * d.terms.length) / avgLen));
    }
    if (score > 0) ranked.push({ passage: d.passage, score, matchedTerms: matched });
  }
  ranked.sort((a, b) => b.score - a.score || (a.passage.id < b.passage.id ? -1 : a.passage.id > b.passage.id ? 1 : 0));
  return ranked.slice(0, first);
};

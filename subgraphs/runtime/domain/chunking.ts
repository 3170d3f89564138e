import { sentences } from '../../../platform/ai/text.ts';

/** Passages are at most this many words: small enough to cite, large enough to answer from. */
export const MAX_CHUNK_WORDS = 80;

const wordCount = (text: string): number => (text.trim() ? text.trim().split(/\s+/).length : 0);

/** Splits one over-long sentence into windows of at most `maxWords` words. */
const windows = (sentence: string, maxWords: number): string[] => {
  const words = sentence.trim().split(/\s+/);
  const out: string[] = [];
  for (let i = 0; i < words.length; i += maxWords) out.push(words.slice(i, i + maxWords).join(' '));
  return out;
};

/**
 * Chunks a document body into passages: paragraphs (separated by blank lines) are kept whole when they
 * fit in `maxWords`; longer ones are packed sentence by sentence up to `maxWords`; a single sentence
 * longer than that is cut into word windows. Whitespace inside a chunk is normalized. Pure.
 */
export const chunkText = (body: string, maxWords = MAX_CHUNK_WORDS): string[] => {
  const chunks: string[] = [];
  for (const paragraph of body.split(/\r?\n\s*\r?\n/)) {
    const flat = paragraph.replace(/\s+/g, ' ').trim();
    if (!flat) continue;
    if (wordCount(flat) <= maxWords) {
      chunks.push(flat);
      continue;
    }
    let current = '';
    for (const sentence of sentences(paragraph).flatMap((s) => (wordCount(s) > maxWords ? windows(s, maxWords) : [s.replace(/\s+/g, ' ').trim()]))) {
      const candidate = current ? `${current} ${sentence}` : sentence;
      if (current && wordCount(candidate) > maxWords) {
        chunks.push(current);
        current = sentence;
      } else {
        current = candidate;
      }
    }
    if (current) chunks.push(current);
  }
  return chunks;
};

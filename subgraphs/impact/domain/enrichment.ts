/**
 * Humanity-first enrichment: adds fragments from a person's consented passions to a piece of
 * workflow content. Each fragment names the passion it came from; nothing is invented.
 */
import type { Passion } from './passions.ts';

export type FragmentKind = 'PASSION' | 'MENTORING' | 'LEARNING';

export interface Fragment {
  kind: FragmentKind;
  topic: string;
  text: string;
  authenticity: number;
  relevant: boolean;
}

const wordsOf = (text: string): Set<string> => new Set(text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 1));

/** A passion is relevant when every word of its topic appears in the content. */
export const isRelevant = (content: string, topic: string): boolean => {
  const words = wordsOf(content);
  const topicWords = [...wordsOf(topic)];
  return topicWords.length > 0 && topicWords.every((w) => words.has(w));
};

/**
 * Up to 3 fragments: relevant passions first (by authenticity); if none is relevant, the single most
 * authentic passion with authenticity ≥ 0.3. Mentors get a mentoring fragment, learners a learning one.
 */
export const enrichmentFragments = (content: string, passions: readonly Passion[]): Fragment[] => {
  const relevant = passions.filter((p) => isRelevant(content, p.topic)).sort((a, b) => b.authenticity - a.authenticity || a.topic.localeCompare(b.topic));
  const chosen = relevant.length ? relevant.slice(0, 3) : passions.filter((p) => p.authenticity >= 0.3).sort((a, b) => b.authenticity - a.authenticity).slice(0, 1);
  return chosen.map((p) => {
    const isRel = relevant.includes(p);
    if (p.canMentor) return { kind: 'MENTORING', topic: p.topic, authenticity: p.authenticity, relevant: isRel, text: `You mentor others in ${p.topic}: an example from that experience would make this yours.` };
    if (p.wantsToLearn && p.demonstratedCount === 0) return { kind: 'LEARNING', topic: p.topic, authenticity: p.authenticity, relevant: isRel, text: `This touches ${p.topic}, which you want to learn: a chance to try it here.` };
    return { kind: 'PASSION', topic: p.topic, authenticity: p.authenticity, relevant: isRel, text: `Your passion for ${p.topic} (${p.demonstratedCount} contributions) could shape this.` };
  });
};

/** The enriched content: the original, then a "Personal context" section of the fragments. */
export const enrichedContent = (content: string, fragments: readonly Fragment[]): string =>
  fragments.length ? `${content}\n\nPersonal context:\n${fragments.map((f) => `- ${f.text}`).join('\n')}` : content;

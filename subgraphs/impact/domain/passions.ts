/**
 * Passions from a profile: declared evidence (interests, skill tags), demonstrated evidence
 * (contributions over time) and an optional narrative topic (found in the bio by the language model).
 * Authenticity rewards demonstration, consistency over time and agreement between sources.
 */
import { inputError } from '../../../platform/errors.ts';
import { round } from './impact-scoring.ts';

export type SkillTag = 'ASK_ME_ABOUT' | 'ABLE_TO_MENTOR' | 'WANTS_TO_LEARN';
export type PassionSource = 'INTEREST' | 'SKILL' | 'CONTRIBUTION' | 'NARRATIVE';

export interface ProfileEvidence {
  interests: readonly string[];
  skills: ReadonlyArray<{ name: string; tags: readonly SkillTag[] }>;
  contributions: ReadonlyArray<{ topic: string; at: string }>;
  /** The topic the bio is mostly about, when one was found. */
  narrative: { topic: string; confidence: number } | null;
}

export interface Passion {
  topic: string;
  authenticity: number;
  demonstratedCount: number;
  activeMonths: number;
  sources: PassionSource[];
  canMentor: boolean;
  wantsToLearn: boolean;
  explanation: string;
}

export const normalizeTopic = (topic: string, field = 'input.topic'): string => {
  const value = topic.normalize('NFKC').trim().toLowerCase().replace(/\s+/g, ' ');
  if (value.length < 2 || value.length > 60) throw inputError(field, `"${topic.slice(0, 40)}" is not a valid topic`, 'Use 2–60 characters, e.g. "data visualization".');
  return value;
};

export const AUTHENTICITY_WEIGHTS = { demonstrated: 0.45, consistency: 0.25, corroboration: 0.3 } as const;

/** authenticity = 0.45·(1 − e^(−contributions/3)) + 0.25·min(1, active months/3) + 0.3·min(1, sources/3). */
export const authenticityOf = (contributions: number, months: number, sources: number): number =>
  round(AUTHENTICITY_WEIGHTS.demonstrated * (1 - Math.exp(-contributions / 3)) + AUTHENTICITY_WEIGHTS.consistency * Math.min(1, months / 3) + AUTHENTICITY_WEIGHTS.corroboration * Math.min(1, sources / 3), 3);

export const derivePassions = (evidence: ProfileEvidence): Passion[] => {
  const topics = new Set<string>([...evidence.interests, ...evidence.skills.map((s) => s.name), ...evidence.contributions.map((c) => c.topic), ...(evidence.narrative ? [evidence.narrative.topic] : [])]);
  return [...topics]
    .map((topic) => {
      const contributions = evidence.contributions.filter((c) => c.topic === topic);
      const months = new Set(contributions.map((c) => c.at.slice(0, 7))).size;
      const skill = evidence.skills.find((s) => s.name === topic);
      const sources: PassionSource[] = [];
      if (evidence.interests.includes(topic)) sources.push('INTEREST');
      if (skill) sources.push('SKILL');
      if (contributions.length) sources.push('CONTRIBUTION');
      if (evidence.narrative?.topic === topic) sources.push('NARRATIVE');
      const authenticity = authenticityOf(contributions.length, months, sources.length);
      const declaredOnly = !contributions.length;
      return {
        topic,
        authenticity,
        demonstratedCount: contributions.length,
        activeMonths: months,
        sources,
        canMentor: Boolean(skill?.tags.includes('ABLE_TO_MENTOR')),
        wantsToLearn: Boolean(skill?.tags.includes('WANTS_TO_LEARN')),
        explanation: `${contributions.length} contributions over ${months} months, ${sources.length} agreeing sources (${sources.join(', ')})${declaredOnly ? '; declared but not yet demonstrated' : ''}.`,
      };
    })
    .sort((a, b) => b.authenticity - a.authenticity || a.topic.localeCompare(b.topic));
};

export interface CommunityCandidate {
  id: string;
  name: string;
  topics: readonly string[];
}

export interface MatchItem {
  communityId: string;
  score: number;
  matchedTopics: string[];
  explanation: string;
}

/** score = Σ authenticity of matched topics ÷ the community's topic count; ranked, zero scores dropped. */
export const matchCommunities = (passions: readonly Passion[], communities: readonly CommunityCandidate[]): MatchItem[] => {
  const byTopic = new Map(passions.map((p) => [p.topic, p]));
  return communities
    .map((c) => {
      const matched = c.topics.filter((t) => byTopic.has(t));
      const score = c.topics.length ? round(matched.reduce((s, t) => s + (byTopic.get(t) as Passion).authenticity, 0) / c.topics.length, 3) : 0;
      return {
        communityId: c.id,
        name: c.name,
        score,
        matchedTopics: matched,
        explanation: `Matches ${matched.length} of ${c.topics.length} topics of ${c.name}: ${matched.map((t) => `${t} (${(byTopic.get(t) as Passion).authenticity})`).join(', ')}.`,
      };
    })
    .filter((m) => m.score > 0)
    .sort((a, b) => b.score - a.score || a.name.localeCompare(b.name))
    .map(({ name: _name, ...item }) => item);
};

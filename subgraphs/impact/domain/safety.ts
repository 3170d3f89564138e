/**
 * Team psychological safety (Edmondson 1999, 7 items, 1–7 Likert) and eNPS. Items 1, 3 and 5 are
 * negatively worded and reverse-scored (8 − answer):
 *  1 "If you make a mistake on this team, it is often held against you."
 *  3 "People on this team sometimes reject others for being different."
 *  5 "It is difficult to ask other members of this team for help."
 * Responses are never stored one by one: a round keeps only a tally (counts and sums), so nothing at
 * rest ties answers to a person.
 */
import { inputError } from '../../../platform/errors.ts';
import { round } from './impact-scoring.ts';

export const SAFETY_ITEMS = [
  'If you make a mistake on this team, it is often held against you.',
  'Members of this team are able to bring up problems and tough issues.',
  'People on this team sometimes reject others for being different.',
  'It is safe to take a risk on this team.',
  'It is difficult to ask other members of this team for help.',
  'No one on this team would deliberately act in a way that undermines my efforts.',
  'Working with members of this team, my unique skills and talents are valued and utilized.',
] as const;

/** 1-based item numbers that are reverse-scored. */
export const REVERSED_ITEMS: readonly number[] = [1, 3, 5];

export const checkAnswers = (answers: readonly number[], enps: number): { answers: number[]; enps: number } => {
  if (answers.length !== 7) throw inputError('input.answers', `Expected 7 answers, got ${answers.length}`, 'Answer all 7 items of the scale, in order, each 1–7.');
  answers.forEach((a, i) => {
    if (!Number.isInteger(a) || a < 1 || a > 7) throw inputError('input.answers', `Answer ${i + 1} must be an integer 1–7`, '1 = very inaccurate … 7 = very accurate.');
  });
  if (!Number.isInteger(enps) || enps < 0 || enps > 10) throw inputError('input.enps', 'enps must be an integer 0–10', 'How likely are you to recommend this team as a place to work, 0–10?');
  return { answers: [...answers], enps };
};

/** Answers with items 1, 3, 5 reversed (8 − a). */
export const scoredItems = (answers: readonly number[]): number[] => answers.map((a, i) => (REVERSED_ITEMS.includes(i + 1) ? 8 - a : a));

/** One respondent's safety score: the mean of the scored items, 1–7. */
export const safetyScoreOf = (answers: readonly number[]): number => scoredItems(answers).reduce((s, a) => s + a, 0) / answers.length;

export type EnpsBucket = 'PROMOTER' | 'PASSIVE' | 'DETRACTOR';
export const enpsBucket = (score: number): EnpsBucket => (score >= 9 ? 'PROMOTER' : score >= 7 ? 'PASSIVE' : 'DETRACTOR');

/** eNPS from bucket counts: % promoters (9–10) − % detractors (0–6), −100…100. */
export const enpsOf = (promoters: number, passives: number, detractors: number): number => {
  const n = promoters + passives + detractors;
  return n === 0 ? 0 : round((100 * (promoters - detractors)) / n, 1);
};

/** The running tally of one round: all that is stored of the responses. */
export interface PulseTally {
  n: number;
  /** Sum of scored (reverse-applied) answers per item. */
  itemSums: number[];
  scoreSum: number;
  scoreSumSq: number;
  promoters: number;
  passives: number;
  detractors: number;
}

export const emptyTally = (): PulseTally => ({ n: 0, itemSums: [0, 0, 0, 0, 0, 0, 0], scoreSum: 0, scoreSumSq: 0, promoters: 0, passives: 0, detractors: 0 });

export const addToTally = (tally: PulseTally, answers: readonly number[], enps: number): PulseTally => {
  const items = scoredItems(answers);
  const score = safetyScoreOf(answers);
  const bucket = enpsBucket(enps);
  return {
    n: tally.n + 1,
    itemSums: tally.itemSums.map((s, i) => s + items[i]),
    scoreSum: tally.scoreSum + score,
    scoreSumSq: tally.scoreSumSq + score * score,
    promoters: tally.promoters + (bucket === 'PROMOTER' ? 1 : 0),
    passives: tally.passives + (bucket === 'PASSIVE' ? 1 : 0),
    detractors: tally.detractors + (bucket === 'DETRACTOR' ? 1 : 0),
  };
};

export interface RoundResult {
  responseCount: number;
  safetyScore: number;
  scoreStdDev: number;
  itemMeans: number[];
  enps: number;
  participationRate: number | null;
}

/** Aggregates of a tally; call only for a tally that passed the privacy check. */
export const resultOf = (tally: PulseTally, memberCount: number | null): RoundResult => {
  const n = tally.n;
  const mean = n ? tally.scoreSum / n : 0;
  const variance = n > 1 ? Math.max(0, (tally.scoreSumSq - n * mean * mean) / (n - 1)) : 0;
  return {
    responseCount: n,
    safetyScore: round(mean, 3),
    scoreStdDev: round(Math.sqrt(variance), 3),
    itemMeans: tally.itemSums.map((s) => round(n ? s / n : 0, 3)),
    enps: enpsOf(tally.promoters, tally.passives, tally.detractors),
    participationRate: memberCount && memberCount > 0 ? round(Math.min(1, n / memberCount), 3) : null,
  };
};

import type { PolicyAction } from './policy.ts';

export type TrustKind = 'USER' | 'AGENT' | 'CONVERSATION' | 'SYSTEM';

/** Where every score starts and decays back to. */
export const TRUST_BASELINE = 0.7;
/** Half-life of the distance to baseline, in hours: after 24 h half of a drop (or gain) is gone. */
export const TRUST_HALF_LIFE_HOURS = 24;

/** Evidence weights per turn. Clean turns are the explicit recovery path. */
export const EVIDENCE_WEIGHTS = {
  BLOCK: -0.2,
  ESCALATE: -0.15,
  REDACT: -0.03,
  WARN: -0.05,
  CLEAN_TURN: 0.02,
  LOW_QUALITY: -0.05,
  MODEL_FALLBACK: -0.02,
} as const;

export type EvidenceKind = keyof typeof EVIDENCE_WEIGHTS;

const round = (value: number): number => Math.round(value * 10_000) / 10_000;
const clamp = (value: number): number => Math.min(1, Math.max(0, value));

/** Decay toward baseline: baseline + (score − baseline) · 2^(−hours / halfLife). */
export const decayTowardBaseline = (score: number, hours: number, baseline = TRUST_BASELINE, halfLifeHours = TRUST_HALF_LIFE_HOURS): number =>
  round(baseline + (score - baseline) * 2 ** (-Math.max(0, hours) / halfLifeHours));

export interface TrustUpdate {
  oldScore: number;
  newScore: number;
  reason: string;
}

/** One update: decay for the time since the last change, then add the evidence, clamped to 0–1. */
export const updateTrust = (score: number, hoursSinceLast: number, evidence: readonly EvidenceKind[]): TrustUpdate => {
  const decayed = decayTowardBaseline(score, hoursSinceLast);
  const delta = evidence.reduce((sum, e) => sum + EVIDENCE_WEIGHTS[e], 0);
  const newScore = round(clamp(decayed + delta));
  const parts = evidence.length ? evidence.map((e) => `${e} ${EVIDENCE_WEIGHTS[e] > 0 ? '+' : ''}${EVIDENCE_WEIGHTS[e]}`) : ['no evidence'];
  const decayNote = decayed !== score ? `decay ${score}→${decayed}; ` : '';
  return { oldScore: score, newScore, reason: `${decayNote}${parts.join(', ')}` };
};

/** Evidence a policy outcome contributes (ALLOW: a clean turn). */
export const evidenceOfOutcome = (outcome: PolicyAction): EvidenceKind => (outcome === 'ALLOW' ? 'CLEAN_TURN' : outcome);

export type TurnRoute = 'HUMAN' | 'STRICT' | 'STANDARD';

/** Trust-based routing: below 0.3 a person takes over; below 0.5 the turn runs in strict mode (warnings escalate). */
export const routeByTrust = (userTrust: number, conversationTrust: number): TurnRoute => {
  const lowest = Math.min(userTrust, conversationTrust);
  return lowest < 0.3 ? 'HUMAN' : lowest < 0.5 ? 'STRICT' : 'STANDARD';
};

/** Where a person's review lifts trust to: the STRICT threshold, so the next turn runs in standard mode. */
export const TRUST_RECOVERY_FLOOR = 0.5;

/**
 * The explicit recovery path: a person who reviewed the conversation and resumed it lifts the score
 * (decayed to now) to at least the recovery floor. A score already above it only decays.
 */
export const recoverTrust = (score: number, hoursSinceLast: number, reviewer: string): TrustUpdate => {
  const decayed = decayTowardBaseline(score, hoursSinceLast);
  const newScore = round(Math.max(decayed, TRUST_RECOVERY_FLOOR));
  const decayNote = decayed !== score ? `decay ${score}→${decayed}; ` : '';
  return { oldScore: score, newScore, reason: `${decayNote}${newScore > decayed ? `recovered to ${TRUST_RECOVERY_FLOOR} after review by ${reviewer}` : `already at or above ${TRUST_RECOVERY_FLOOR}; review by ${reviewer}`}` };
};

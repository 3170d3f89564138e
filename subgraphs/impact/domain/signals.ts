/**
 * Risk signals and alert classification for a team's latest published round, against its own
 * baseline (up to 6 previous published rounds). Thresholds come from the organization's policy.
 */
import { round } from './impact-scoring.ts';

export type SafetySignalKind = 'SCORE_DROP' | 'PARTICIPATION_COLLAPSE' | 'ITEM_DIVERGENCE' | 'SCORE_RISE' | 'SUSTAINED_HIGH' | 'ENPS_NEGATIVE';
export type SafetyAlertSeverity = 'URGENT' | 'ROUTINE' | 'CELEBRATION';

export interface SafetyPolicy {
  /** Drop of the safety score (1–7 scale) below baseline that is URGENT. */
  urgentDrop: number;
  /** Drop that is ROUTINE. */
  routineDrop: number;
  /** Rise above baseline worth celebrating. */
  celebrationRise: number;
  /** Responses below this share of the baseline's mean responses is a participation collapse. */
  participationCollapseRatio: number;
  /** Spread between the highest and lowest item mean that signals divergence. */
  divergenceSpread: number;
}

export const DEFAULT_SAFETY_POLICY: SafetyPolicy = { urgentDrop: 0.5, routineDrop: 0.25, celebrationRise: 0.3, participationCollapseRatio: 0.6, divergenceSpread: 1.5 };

export const BASELINE_ROUNDS = 6;

export interface PublishedRound {
  safetyScore: number;
  responseCount: number;
  itemMeans: number[];
  enps: number;
}

export interface SafetySignal {
  kind: SafetySignalKind;
  severity: SafetyAlertSeverity;
  value: number;
  detail: string;
}

export interface SignalAnalysis {
  baseline: number | null;
  baselineRounds: number;
  change: number | null;
  signals: SafetySignal[];
}

/** Signals of `latest` against the mean of up to 6 `previous` published rounds (oldest first). */
export const analyzeRound = (latest: PublishedRound, previous: readonly PublishedRound[], policy: SafetyPolicy): SignalAnalysis => {
  const base = previous.slice(-BASELINE_ROUNDS);
  const signals: SafetySignal[] = [];
  const baseline = base.length ? base.reduce((s, r) => s + r.safetyScore, 0) / base.length : null;
  const change = baseline === null ? null : latest.safetyScore - baseline;
  if (change !== null && -change >= policy.routineDrop) {
    const severity: SafetyAlertSeverity = -change >= policy.urgentDrop ? 'URGENT' : 'ROUTINE';
    signals.push({ kind: 'SCORE_DROP', severity, value: round(-change, 3), detail: `Safety score ${round(latest.safetyScore, 2)} is ${round(-change, 2)} below the team's ${base.length}-round baseline ${round(baseline as number, 2)}.` });
  }
  if (change !== null && change >= policy.celebrationRise) {
    signals.push({ kind: 'SCORE_RISE', severity: 'CELEBRATION', value: round(change, 3), detail: `Safety score rose ${round(change, 2)} above the team's ${base.length}-round baseline.` });
  }
  if (base.length) {
    const meanN = base.reduce((s, r) => s + r.responseCount, 0) / base.length;
    const ratio = latest.responseCount / meanN;
    if (ratio < policy.participationCollapseRatio) {
      signals.push({ kind: 'PARTICIPATION_COLLAPSE', severity: 'ROUTINE', value: round(ratio, 3), detail: `Participation fell to ${Math.round(ratio * 100)}% of the baseline's average.` });
    }
  }
  const max = Math.max(...latest.itemMeans);
  const min = Math.min(...latest.itemMeans);
  if (max - min >= policy.divergenceSpread) {
    const lowItem = latest.itemMeans.indexOf(min) + 1;
    const highItem = latest.itemMeans.indexOf(max) + 1;
    signals.push({ kind: 'ITEM_DIVERGENCE', severity: 'ROUTINE', value: round(max - min, 3), detail: `Item ${lowItem} (mean ${round(min, 2)}) diverges from item ${highItem} (mean ${round(max, 2)}).` });
  }
  if (latest.enps < 0 && (base.length === 0 || latest.enps < base[base.length - 1].enps)) {
    signals.push({ kind: 'ENPS_NEGATIVE', severity: 'ROUTINE', value: latest.enps, detail: `eNPS is ${latest.enps}: more detractors than promoters.` });
  }
  if (base.length >= 2 && latest.safetyScore >= 6 && base.slice(-2).every((r) => r.safetyScore >= 6)) {
    signals.push({ kind: 'SUSTAINED_HIGH', severity: 'CELEBRATION', value: round(latest.safetyScore, 3), detail: 'Safety score has stayed at 6 or above for three rounds.' });
  }
  return { baseline: baseline === null ? null : round(baseline, 3), baselineRounds: base.length, change: change === null ? null : round(change, 3), signals };
};

/** The alert's severity: the worst risk signal; CELEBRATION only when there is no risk; null for none. */
export const alertSeverityOf = (signals: readonly SafetySignal[]): SafetyAlertSeverity | null => {
  if (signals.some((s) => s.severity === 'URGENT')) return 'URGENT';
  if (signals.some((s) => s.severity === 'ROUTINE')) return 'ROUTINE';
  if (signals.some((s) => s.severity === 'CELEBRATION')) return 'CELEBRATION';
  return null;
};

/** The recommended action for an alert, from its severity and the signals that drove it. */
export const recommendedActionOf = (severity: SafetyAlertSeverity, signals: readonly SafetySignal[]): string => {
  const kinds = new Set(signals.map((s) => s.kind));
  if (severity === 'URGENT') return 'Within 48 hours: the manager holds a blameless team retrospective on what changed, invites anonymous follow-up, and agrees one concrete change with the team.';
  if (severity === 'ROUTINE') {
    if (kinds.has('PARTICIPATION_COLLAPSE')) return 'Ask the team, without pressure, why fewer people answered; re-affirm that answers are anonymous and show what was done with the last round.';
    if (kinds.has('ITEM_DIVERGENCE')) return 'Discuss the lowest-scoring item in the next team meeting and ask for one suggestion to improve it.';
    return 'Review the trend in the next one-to-ones and team meeting; invite input on what makes speaking up harder.';
  }
  return 'Celebrate with the team: name what made it feel safe to speak up, and share the practice with other teams.';
};

/**
 * Who may acknowledge or record an action on a team's alert: an organization Owner/Admin (scope
 * `org:admin`) or the team's own manager. Other members see the alert (and the respondents follow it
 * through their receipts) but cannot mark it heard or acted upon.
 */
export const mayHandleAlert = (caller: { subject: string; scopes: readonly string[] }, team: { managerId?: string | null } | null): boolean =>
  caller.scopes.includes('org:admin') || Boolean(team?.managerId && team.managerId === caller.subject);

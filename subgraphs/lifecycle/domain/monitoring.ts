import { inputError } from '../../../platform/errors.ts';

/** Monitoring of deployed configurations: rates, thresholds and the deterministic root-cause summary. Pure. */

/** Auto-rollback when the error rate is above this share of requests. */
export const ERROR_RATE_MAX = 0.05;
/** Auto-rollback when the conversation success rate is below this share. */
export const SUCCESS_RATE_MIN = 0.85;
/** A rate is judged only over at least this many requests (or conversations): a handful of failures is noise, not an incident. */
export const MIN_SAMPLE = 20;
export const ENVIRONMENTS = ['DEV', 'STAGING', 'PRODUCTION'] as const;
export type DeployEnvironment = (typeof ENVIRONMENTS)[number];

export type Breach = 'ERROR_RATE' | 'SUCCESS_RATE';

export interface RuntimeSignals {
  requests: number;
  errors: number;
  conversations: number;
  successfulConversations: number;
}

export interface SignalVerdict {
  /** errors / requests; null under MIN_SAMPLE requests. */
  errorRate: number | null;
  /** successful / conversations; null under MIN_SAMPLE conversations. */
  successRate: number | null;
  breaches: Breach[];
}

const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;

/** Checks a signal window: non-negative integers, errors ≤ requests, successes ≤ conversations, something measured. */
export const checkSignals = (s: RuntimeSignals): RuntimeSignals => {
  for (const [name, value] of Object.entries(s)) {
    if (!Number.isInteger(value) || value < 0 || value > 1_000_000_000) throw inputError(`input.${name}`, `${name} must be a non-negative integer`, 'Send the counts of the window, e.g. requests: 240, errors: 3.');
  }
  if (s.errors > s.requests) throw inputError('input.errors', 'errors exceed requests', 'Count errors among the requests of the same window.');
  if (s.successfulConversations > s.conversations) throw inputError('input.successfulConversations', 'successful conversations exceed conversations', 'Count successes among the conversations of the same window.');
  if (s.requests === 0 && s.conversations === 0) throw inputError('input.requests', 'the window measured nothing', 'Send a window with requests or conversations.');
  return s;
};

/**
 * Rates of a window and which thresholds they breach: error rate > 5% (over ≥ 20 requests),
 * success rate < 85% (over ≥ 20 conversations).
 */
export const judgeSignals = (s: RuntimeSignals): SignalVerdict => {
  const errorRate = s.requests >= MIN_SAMPLE ? round4(s.errors / s.requests) : null;
  const successRate = s.conversations >= MIN_SAMPLE ? round4(s.successfulConversations / s.conversations) : null;
  const breaches: Breach[] = [];
  if (errorRate !== null && errorRate > ERROR_RATE_MAX) breaches.push('ERROR_RATE');
  if (successRate !== null && successRate < SUCCESS_RATE_MIN) breaches.push('SUCCESS_RATE');
  return { errorRate, successRate, breaches };
};

const pct = (x: number | null): string => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);

export const describeBreaches = (v: SignalVerdict): string =>
  v.breaches.map((b) => (b === 'ERROR_RATE' ? `error rate ${pct(v.errorRate)} > ${pct(ERROR_RATE_MAX)}` : `success rate ${pct(v.successRate)} < ${pct(SUCCESS_RATE_MIN)}`)).join(' and ');

export interface IncidentFacts {
  configName: string;
  environment: string;
  version: number;
  previousVersion: number | null;
  deployedAt: string | null;
  openedAt: string;
  verdict: SignalVerdict;
  /** Signal windows since the deployment, oldest first. */
  history: Array<{ at: string; errorRate: number | null; successRate: number | null }>;
}

/** The facts of an incident as plain sentences: the prompt of the language model and the input of the local summary. */
export const incidentFactsText = (f: IncidentFacts): string => {
  const minutes = f.deployedAt ? Math.max(0, Math.round((Date.parse(f.openedAt) - Date.parse(f.deployedAt)) / 60_000)) : null;
  const healthyBefore = f.history.slice(0, -1).filter((h) => (h.errorRate === null || h.errorRate <= ERROR_RATE_MAX) && (h.successRate === null || h.successRate >= SUCCESS_RATE_MIN)).length;
  return [
    `Configuration "${f.configName}" version ${f.version} runs in ${f.environment}${minutes !== null ? `, deployed ${minutes} minutes before the incident` : ''}.`,
    `The incident opened because the ${describeBreaches(f.verdict)}.`,
    `${f.history.length - 1} earlier signal windows of this version were recorded, ${healthyBefore} of them within thresholds.`,
    f.previousVersion !== null ? `Version ${f.previousVersion} ran before it.` : 'No earlier version was deployed there.',
  ].join(' ');
};

/**
 * The deterministic root-cause summary (no model): a regression right after a deployment points at
 * the deployment; a breach after healthy windows of the same version points at a runtime or
 * upstream change; an always-bad version points at its content.
 */
export const localRootCause = (f: IncidentFacts): { summary: string; confidence: number } => {
  const minutes = f.deployedAt ? (Date.parse(f.openedAt) - Date.parse(f.deployedAt)) / 60_000 : null;
  const earlier = f.history.slice(0, -1);
  const healthyEarlier = earlier.filter((h) => (h.errorRate === null || h.errorRate <= ERROR_RATE_MAX) && (h.successRate === null || h.successRate >= SUCCESS_RATE_MIN)).length;
  const what = describeBreaches(f.verdict);
  if (earlier.length > 0 && healthyEarlier === earlier.length && (minutes === null || minutes > 60)) {
    return {
      summary: `Likely a runtime or upstream change, not the configuration: version ${f.version} was within thresholds for ${earlier.length} windows before the ${what}. Check integrations, knowledge sources and traffic mix first.${f.previousVersion !== null ? ` Rolling back to version ${f.previousVersion} is a safe first step.` : ''}`,
      confidence: 0.55,
    };
  }
  return {
    summary: `Likely a regression in configuration version ${f.version}: the ${what}${minutes !== null ? ` ${Math.round(minutes)} minutes after it was deployed to ${f.environment}` : ''}${earlier.length ? `, with ${earlier.length - healthyEarlier} of ${earlier.length} earlier windows also out of bounds` : ''}. ${f.previousVersion !== null ? `Roll back to version ${f.previousVersion} and diff the two versions.` : 'No previous version exists to roll back to; fix forward.'}`,
    confidence: minutes !== null && minutes <= 60 ? 0.8 : 0.65,
  };
};

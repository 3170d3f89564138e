import { DEFAULT_ESCALATION_THRESHOLD } from './workflow.ts';
import { DEFAULT_VOICE, isVoiceStyle, type VoiceStyle } from './validation.ts';

/** What the runtime keeps of a deployed configuration (from a `config.deployed` event). */
export interface Deployment {
  configId: string;
  version: string;
  environment: string;
  escalationThreshold: number;
  voiceSpeed: number;
  voiceClarity: number;
  voiceStyle: VoiceStyle;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const numberIn = (value: unknown, min: number, max: number): number | null => (typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max ? value : null);

/**
 * Reads a `config.deployed` payload: `configId` (or the event subject's id), `version` (number or
 * string), `environment` (default `production`), and from the optional config `document`:
 * `escalationThreshold` (0–1) and `voice.speed` (0.5–2) / `voice.clarity` (0–1) / `voice.style`
 * (case-insensitive), at the top level or under
 * `runtime`. Values out of range fall back to the defaults. Null when there is no config id or version.
 */
export const parseDeployment = (payload: Record<string, unknown>, subjectId: string | null): Deployment | null => {
  const configId = typeof payload.configId === 'string' && payload.configId ? payload.configId : subjectId;
  const rawVersion = payload.version;
  const version = typeof rawVersion === 'number' && Number.isFinite(rawVersion) ? String(rawVersion) : typeof rawVersion === 'string' && rawVersion.trim() ? rawVersion.trim() : null;
  if (!configId || !version) return null;
  const environment = typeof payload.environment === 'string' && payload.environment.trim() ? payload.environment.trim().toLowerCase() : 'production';
  const doc = isRecord(payload.document) ? payload.document : {};
  const runtime = isRecord(doc.runtime) ? doc.runtime : {};
  const voice = isRecord(runtime.voice) ? runtime.voice : isRecord(doc.voice) ? doc.voice : {};
  const threshold = numberIn(runtime.escalationThreshold, 0, 1) ?? numberIn(doc.escalationThreshold, 0, 1) ?? DEFAULT_ESCALATION_THRESHOLD;
  return {
    configId,
    version,
    environment,
    escalationThreshold: threshold,
    voiceSpeed: numberIn(voice.speed, 0.5, 2) ?? DEFAULT_VOICE.speed,
    voiceClarity: numberIn(voice.clarity, 0, 1) ?? DEFAULT_VOICE.clarity,
    voiceStyle: typeof voice.style === 'string' && isVoiceStyle(voice.style.toUpperCase()) ? (voice.style.toUpperCase() as VoiceStyle) : DEFAULT_VOICE.style,
  };
};

/** The deployment new conversations pin: production if deployed, otherwise the most recently deployed. */
export const activeDeployment = <D extends { environment: string; deployedAt: string }>(deployments: readonly D[]): D | null => {
  const production = deployments.filter((d) => d.environment === 'production');
  const pool = production.length ? production : deployments;
  return pool.reduce<D | null>((best, d) => (!best || d.deployedAt > best.deployedAt ? d : best), null);
};

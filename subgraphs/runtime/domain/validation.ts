import { inputError } from '../../../platform/errors.ts';

export const VOICE_STYLES = ['NEUTRAL', 'FRIENDLY', 'PROFESSIONAL', 'EMPATHETIC', 'ENERGETIC'] as const;
export type VoiceStyle = (typeof VOICE_STYLES)[number];
export const DEFAULT_VOICE = { speed: 1, style: 'NEUTRAL' as VoiceStyle, clarity: 0.75 };
export const MAX_TURN_MS = 600_000;
export const MAX_TURNS_PER_SESSION = 10_000;

const text = (value: string, field: string, label: string, min: number, max: number): string => {
  const trimmed = value.trim();
  if (trimmed.length < min || trimmed.length > max) throw inputError(field, `${label} must be ${min}–${max} characters`, `Send ${label.toLowerCase()} of ${min} to ${max} characters.`);
  return trimmed;
};

export const checkTitle = (value: string): string => text(value, 'input.title', 'Title', 1, 200);
export const checkBody = (value: string): string => text(value, 'input.body', 'Body', 1, 100_000);
export const checkMessageText = (value: string): string => text(value, 'input.text', 'Text', 1, 4_000);
export const checkQuery = (value: string): string => text(value, 'query', 'Query', 1, 1_000);
export const checkReason = (value: string | null | undefined): string => (value === null || value === undefined ? 'image needed' : text(value, 'input.reason', 'Reason', 1, 500));
export const checkImageResult = (value: string | null | undefined): string | null => (value === null || value === undefined ? null : text(value, 'input.imageResult', 'Image result', 1, 20_000));

/** Tags: trimmed, lower-cased, deduplicated; at most 20 of 1–40 characters (letters, digits, - _ and spaces). */
export const checkTags = (tags: readonly string[] | null | undefined): string[] => {
  const out = [...new Set((tags ?? []).map((t) => t.trim().toLowerCase()))];
  if (out.length > 20) throw inputError('input.tags', 'At most 20 tags', 'Remove some tags.');
  for (const tag of out) {
    if (!/^[\p{L}\p{N}][\p{L}\p{N} _-]{0,39}$/u.test(tag)) throw inputError('input.tags', `Tag "${tag}" is not valid`, 'Tags are 1–40 letters, digits, spaces, - or _, starting with a letter or digit.');
  }
  return out;
};

/** Speaking rate multiplier, 0.5–2.0. */
export const checkSpeed = (value: number | null | undefined, fallback: number, field = 'input.speed'): number => {
  if (value === null || value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0.5 || value > 2) throw inputError(field, 'Speed must be between 0.5 and 2.0', 'Use 1.0 for normal speed, 0.5 for half, 2.0 for double.');
  return value;
};

/** Articulation clarity 0–1 (voice stability). */
export const checkClarity = (value: number | null | undefined, fallback: number, field = 'input.clarity'): number => {
  if (value === null || value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0 || value > 1) throw inputError(field, 'Clarity must be between 0 and 1', 'Use 0.75 for the default clarity.');
  return value;
};

export const isVoiceStyle = (value: unknown): value is VoiceStyle => typeof value === 'string' && (VOICE_STYLES as readonly string[]).includes(value);

/** One stage latency in whole milliseconds, 0–600000. */
export const checkLatencyMs = (value: number, field: string): number => {
  if (!Number.isInteger(value) || value < 0 || value > MAX_TURN_MS) throw inputError(field, 'Latency must be a whole number of milliseconds between 0 and 600000', 'Report the measured stage duration in ms.');
  return value;
};

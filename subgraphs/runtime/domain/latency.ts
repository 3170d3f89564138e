/** Per-turn voice latency accounting (STT → LLM → TTS). Pure. */

/** The voice target of the spec: P95 under 500 ms. */
export const VOICE_P95_TARGET_MS = 500;

export interface VoiceTurn {
  sttMs: number;
  llmMs: number;
  ttsMs: number;
}

export interface LatencySummary {
  turns: number;
  meanTotalMs: number | null;
  p95TotalMs: number | null;
  p95SttMs: number | null;
  p95LlmMs: number | null;
  p95TtsMs: number | null;
  maxTotalMs: number | null;
  withinTarget: boolean | null;
}

export const turnTotal = (turn: VoiceTurn): number => turn.sttMs + turn.llmMs + turn.ttsMs;

/** Nearest-rank percentile: the smallest value with at least p% of values ≤ it. Null for no values. */
export const percentile = (values: readonly number[], p: number): number | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
};

export const summarizeLatency = (turns: readonly VoiceTurn[]): LatencySummary => {
  const totals = turns.map(turnTotal);
  const p95TotalMs = percentile(totals, 95);
  return {
    turns: turns.length,
    meanTotalMs: totals.length ? Math.round((totals.reduce((a, b) => a + b, 0) / totals.length) * 10) / 10 : null,
    p95TotalMs,
    p95SttMs: percentile(turns.map((t) => t.sttMs), 95),
    p95LlmMs: percentile(turns.map((t) => t.llmMs), 95),
    p95TtsMs: percentile(turns.map((t) => t.ttsMs), 95),
    maxTotalMs: totals.length ? Math.max(...totals) : null,
    withinTarget: p95TotalMs === null ? null : p95TotalMs <= VOICE_P95_TARGET_MS,
  };
};

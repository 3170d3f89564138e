import { percentile, summarizeLatency, turnTotal } from './latency.ts';

describe('voice latency accounting', () => {
  it('nearest-rank percentile', () => {
    expect(percentile([], 95)).toBeNull();
    expect(percentile([5, 1, 3], 95)).toBe(5);
    expect(percentile(Array.from({ length: 20 }, (_, i) => i + 1), 95)).toBe(19);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([4, 2], 50)).toBe(2);
  });

  it('summarizes turns: totals, mean, per-stage p95 and the 500 ms target', () => {
    const turns = [
      { sttMs: 100, llmMs: 200, ttsMs: 50 },
      { sttMs: 50, llmMs: 100, ttsMs: 50 },
      { sttMs: 200, llmMs: 300, ttsMs: 100 },
    ];
    expect(turnTotal(turns[0])).toBe(350);
    expect(summarizeLatency(turns)).toEqual({ turns: 3, meanTotalMs: 383.3, p95TotalMs: 600, p95SttMs: 200, p95LlmMs: 300, p95TtsMs: 100, maxTotalMs: 600, withinTarget: false });
    expect(summarizeLatency(turns.slice(0, 2)).withinTarget).toBe(true);
  });

  it('has no statistics without turns', () => {
    expect(summarizeLatency([])).toEqual({ turns: 0, meanTotalMs: null, p95TotalMs: null, p95SttMs: null, p95LlmMs: null, p95TtsMs: null, maxTotalMs: null, withinTarget: null });
  });
});

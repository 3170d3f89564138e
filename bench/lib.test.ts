import { describe, expect, it } from '@jest/globals';
import { childPidsOf, cpuSecondsOf, median, memoryOf, percentile } from './lib.ts';

describe('bench measurement helpers', () => {
  it('takes the true median of odd and even counts and nearest-rank percentiles', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([10, 40, 20, 30])).toBe(25);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(6);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
    expect(Number.isNaN(percentile([], 50))).toBe(true);
  });

  it('reads CPU seconds of a process from /proc and sees them grow with work', () => {
    const before = cpuSecondsOf(process.pid);
    // A fixed amount of work (tens of milliseconds of CPU, several clock ticks), however busy the machine.
    let x = 0;
    for (let i = 0; i < 20_000_000; i++) x += Math.sqrt(i);
    const after = cpuSecondsOf(process.pid);
    expect(x).toBeGreaterThan(0);
    expect(after).toBeGreaterThan(before);
    expect(Number.isFinite(after)).toBe(true);
  });

  it('reads resident memory and finds no forked children of this process', () => {
    const { rssMb, peakMb } = memoryOf(process.pid);
    expect(rssMb).toBeGreaterThan(10);
    expect(peakMb).toBeGreaterThanOrEqual(rssMb);
    expect(childPidsOf(2 ** 22 + 12345)).toEqual([]);
  });
});

import { applyContribution, benchmarkOf, checkObjectives, kpisAgainstObjectives, parsePeriod, recommendationsFor, roiOf, segmentKeyOf, summarizeExperiment, type QbrKpi } from './qbr.ts';

const values = (over: Partial<Record<QbrKpi, number | null>>): Record<QbrKpi, number | null> => ({ AVERAGE_HEALTH: null, LATEST_HEALTH: null, AUTO_RESOLUTION_RATE: null, ESCALATION_RATE: null, CONVERSION_RATE: null, INCIDENTS: null, ...over });

describe('QBR periods', () => {
  it('maps a quarter to its UTC bounds', () => {
    expect(parsePeriod('2026-Q4')).toEqual({ label: '2026-Q4', from: '2026-10-01T00:00:00.000Z', to: '2027-01-01T00:00:00.000Z' });
    expect(parsePeriod('2025-Q1')).toEqual({ label: '2025-Q1', from: '2025-01-01T00:00:00.000Z', to: '2025-04-01T00:00:00.000Z' });
  });
  it('rejects anything else naming the field', () => {
    expect(() => parsePeriod('2026-Q5')).toThrow(/not a quarter/);
    expect(() => parsePeriod('Q4 2026')).toThrow(/not a quarter/);
  });
});

describe('KPIs against objectives', () => {
  it('marks met and missed with the signed gap; no objective or no value is not measurable', () => {
    const objectives = checkObjectives([
      { kpi: 'AVERAGE_HEALTH', target: 80, direction: 'AT_LEAST' },
      { kpi: 'ESCALATION_RATE', target: 0.2, direction: 'AT_MOST' },
      { kpi: 'CONVERSION_RATE', target: 0.1, direction: 'AT_LEAST' },
    ]);
    const kpis = kpisAgainstObjectives(values({ AVERAGE_HEALTH: 72.5, ESCALATION_RATE: 0.25, INCIDENTS: 2 }), objectives);
    expect(kpis.find((k) => k.kpi === 'AVERAGE_HEALTH')).toEqual({ kpi: 'AVERAGE_HEALTH', value: 72.5, target: 80, direction: 'AT_LEAST', met: false, gap: -7.5 });
    expect(kpis.find((k) => k.kpi === 'ESCALATION_RATE')).toEqual({ kpi: 'ESCALATION_RATE', value: 0.25, target: 0.2, direction: 'AT_MOST', met: false, gap: 0.05 });
    expect(kpis.find((k) => k.kpi === 'CONVERSION_RATE')?.met).toBeNull();
    expect(kpis.find((k) => k.kpi === 'INCIDENTS')).toEqual({ kpi: 'INCIDENTS', value: 2, target: null, direction: null, met: null, gap: null });
    expect(kpisAgainstObjectives(values({ ESCALATION_RATE: 0.2 }), objectives).find((k) => k.kpi === 'ESCALATION_RATE')?.met).toBe(true);
  });
  it('rejects duplicate KPIs and out-of-range targets', () => {
    expect(() => checkObjectives([{ kpi: 'INCIDENTS', target: 1, direction: 'AT_MOST' }, { kpi: 'INCIDENTS', target: 2, direction: 'AT_MOST' }])).toThrow(/twice/);
    expect(() => checkObjectives([{ kpi: 'ESCALATION_RATE', target: 20, direction: 'AT_MOST' }])).toThrow(/between 0 and 1/);
  });
});

describe('ROI', () => {
  it('follows the stated formula', () => {
    // 30 tickets × 20 min / 60 × 45/h = 450 saved; (450 − 300) / 300 = 0.5
    expect(roiOf({ autoResolvedTickets: 30, minutesSavedPerTicket: 20, hourlyCost: 45, platformCost: 300 })).toEqual({ savings: 450, roi: 0.5 });
    // no tickets: the whole cost is lost
    expect(roiOf({ autoResolvedTickets: 0, minutesSavedPerTicket: 20, hourlyCost: 45, platformCost: 300 })).toEqual({ savings: 0, roi: -1 });
  });
});

describe('benchmark', () => {
  it('normalizes the segment key', () => {
    expect(segmentKeyOf({ industry: '  Retail   Banking ', sizeBand: 'MID', plan: 'Growth' })).toBe('retail banking|MID|growth');
    expect(() => segmentKeyOf({ industry: 'a|b', sizeBand: 'MID', plan: 'growth' })).toThrow(/may not contain/);
  });
  it('keeps counts and sums; an update replaces the client contribution', () => {
    let agg = { clients: 0, sum: 0, sumSquares: 0 };
    agg = applyContribution(agg, null, 80);
    agg = applyContribution(agg, null, 60);
    expect(agg).toEqual({ clients: 2, sum: 140, sumSquares: 10_000 });
    agg = applyContribution(agg, 60, 70);
    expect(agg).toEqual({ clients: 2, sum: 150, sumSquares: 11_300 });
    expect(applyContribution(agg, 70, null)).toEqual({ clients: 1, sum: 80, sumSquares: 6400 });
  });
  it('answers only from groups of at least 5 clients', () => {
    const four = { clients: 4, sum: 320, sumSquares: 25_800 };
    const r4 = benchmarkOf(four, 70);
    expect(r4.available).toBe(false);
    expect(r4.mean).toBeNull();
    expect(r4.reason).toMatch(/Only 4 similar clients.*at least 5/);
    // scores 60, 70, 80, 90, 100: mean 80, population σ √200 ≈ 14.14; own 70 → −10
    const five = { clients: 5, sum: 400, sumSquares: 3600 + 4900 + 6400 + 8100 + 10_000 };
    expect(benchmarkOf(five, 70)).toEqual({ available: true, clients: 5, mean: 80, stddev: 14.14, delta: -10, reason: null });
    expect(benchmarkOf(five, 70, 3).available).toBe(true);
    expect(benchmarkOf(five, 70, 6).available).toBe(false);
    expect(benchmarkOf(null, 70).reason).toMatch(/Only 0 similar clients/);
  });
});

describe('experiments and recommendations', () => {
  it('names the leader by probability of being best, decided at ≥ 0.95', () => {
    const s = summarizeExperiment({ name: 'Welcome', variants: [{ key: 'a', outcomes: 100, conversions: 10 }, { key: 'b', outcomes: 100, conversions: 30 }], probabilityBest: [0.01, 0.99] });
    expect(s).toEqual({ name: 'Welcome', outcomes: 200, conversions: 40, leader: 'b', leaderConversionRate: 0.3, leaderProbabilityBest: 0.99, decided: true });
    expect(summarizeExperiment({ name: 'Empty', variants: [{ key: 'a', outcomes: 0, conversions: 0 }], probabilityBest: [1] }).leader).toBeNull();
  });
  it('recommends per missed objective, band, decided experiment and benchmark gap', () => {
    const kpis = kpisAgainstObjectives(values({ ESCALATION_RATE: 0.25 }), [{ kpi: 'ESCALATION_RATE', target: 0.2, direction: 'AT_MOST' }]);
    const recs = recommendationsFor({ kpis, band: 'RED', experiments: [{ name: 'W', outcomes: 10, conversions: 5, leader: 'b', leaderConversionRate: 0.5, leaderProbabilityBest: 0.97, decided: true }], benchmarkDelta: -12 });
    expect(recs).toHaveLength(4);
    expect(recs[0]).toMatch(/escalation.*ESCALATION_RATE 0.25 vs objective ≤ 0.2/i);
    expect(recs[1]).toMatch(/red/);
    expect(recs[2]).toMatch(/Roll out variant b of "W"/);
    expect(recs[3]).toMatch(/12 points below/);
    expect(recommendationsFor({ kpis: [], band: null, experiments: [], benchmarkDelta: null })).toEqual(['All objectives met: keep the current cadence and set stretch objectives for next quarter']);
  });
});

import { DomainError } from '../../../platform/errors.ts';
import { forecastTest } from './forecast-fixture.ts';
import { linearForecast, probabilityBelow, studentTCdf, tCritical95, urgentDriftOf, type Forecast } from './forecast.ts';
import { checkMinGroupSize, complementarySuppression, effectiveThreshold, publishable } from './privacy.ts';
import { addToTally, checkAnswers, emptyTally, enpsOf, resultOf, safetyScoreOf, scoredItems } from './safety.ts';
import { DEFAULT_SAFETY_POLICY, alertSeverityOf, analyzeRound, mayHandleAlert, recommendedActionOf, type PublishedRound } from './signals.ts';

const fieldOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error.options.field;
    throw error;
  }
  return undefined;
};

describe('psychological safety scale', () => {
  it('reverse-scores items 1, 3 and 5', () => {
    expect(scoredItems([2, 6, 2, 6, 2, 6, 6])).toEqual([6, 6, 6, 6, 6, 6, 6]);
    expect(safetyScoreOf([1, 7, 1, 7, 1, 7, 7])).toBe(7);
    expect(safetyScoreOf([7, 1, 7, 1, 7, 1, 1])).toBe(1);
    // scored [4,4,4,4,4,4,4] = 4
    expect(safetyScoreOf([4, 4, 4, 4, 4, 4, 4])).toBe(4);
  });

  it('computes eNPS as % promoters minus % detractors', () => {
    expect(enpsOf(2, 1, 1)).toBe(25);
    expect(enpsOf(0, 0, 3)).toBe(-100);
    expect(enpsOf(1, 1, 1)).toBe(0);
  });

  it('validates answers with field hints', () => {
    expect(fieldOf(() => checkAnswers([1, 2, 3], 5))).toBe('input.answers');
    expect(fieldOf(() => checkAnswers([1, 2, 3, 4, 5, 6, 8], 5))).toBe('input.answers');
    expect(fieldOf(() => checkAnswers([1, 2, 3, 4, 5, 6, 7], 11))).toBe('input.enps');
    expect(checkAnswers([1, 2, 3, 4, 5, 6, 7], 0).enps).toBe(0);
  });

  it('aggregates a tally without keeping responses', () => {
    let tally = emptyTally();
    tally = addToTally(tally, [2, 6, 2, 6, 2, 6, 6], 10); // score 6, promoter
    tally = addToTally(tally, [4, 4, 4, 4, 4, 4, 4], 8); // score 4, passive
    tally = addToTally(tally, [6, 2, 6, 2, 6, 2, 2], 3); // score 2, detractor
    const result = resultOf(tally, 6);
    expect(result.responseCount).toBe(3);
    expect(result.safetyScore).toBe(4);
    // sample sd of 6, 4, 2 = 2
    expect(result.scoreStdDev).toBe(2);
    expect(result.itemMeans).toEqual([4, 4, 4, 4, 4, 4, 4]);
    expect(result.enps).toBe(0);
    expect(result.participationRate).toBe(0.5);
  });
});

describe('privacy', () => {
  it('never goes below the floor of 3', () => {
    expect(effectiveThreshold(2)).toBe(3);
    expect(effectiveThreshold(null)).toBe(5);
    expect(publishable(4, 5)).toBe(false);
    expect(publishable(5, 5)).toBe(true);
    expect(fieldOf(() => checkMinGroupSize(2))).toBe('minGroupSize');
    expect(checkMinGroupSize(3)).toBe(3);
  });

  it('suppresses the next-smallest group when one small group is hidden', () => {
    const { shown, parentShown } = complementarySuppression([{ id: 'A', n: 10 }, { id: 'B', n: 8 }, { id: 'C', n: 2 }], 5);
    expect([...shown]).toEqual(['A']);
    expect(parentShown).toBe(true);
  });

  it('shows everything when every group is large enough', () => {
    const { shown, parentShown } = complementarySuppression([{ id: 'A', n: 5 }, { id: 'B', n: 6 }], 5);
    expect([...shown].sort()).toEqual(['A', 'B']);
    expect(parentShown).toBe(true);
  });

  it('hides the parent when only one group would be hidden and nothing else can be', () => {
    const { shown, parentShown } = complementarySuppression([{ id: 'A', n: 3 }], 5);
    expect(shown.size).toBe(0);
    expect(parentShown).toBe(false);
    const two = complementarySuppression([{ id: 'A', n: 9 }, { id: 'B', n: 4 }], 5);
    // B is hidden → A must go too; hidden together 13 ≥ 5 in 2 groups, so the total may show.
    expect(two.shown.size).toBe(0);
    expect(two.parentShown).toBe(true);
  });

  it('keeps hidden groups together at least k', () => {
    const { shown } = complementarySuppression([{ id: 'A', n: 20 }, { id: 'B', n: 7 }, { id: 'C', n: 1 }, { id: 'D', n: 2 }], 5);
    // C + D = 3 < 5 → hide B (smallest shown) → hidden 10.
    expect([...shown]).toEqual(['A']);
  });
});

describe('drift forecast', () => {
  it('matches a hand-computed regression with its prediction interval', () => {
    const f = linearForecast(forecastTest.points, 4);
    expect(f).not.toBeNull();
    expect(f?.slope).toBe(-0.8);
    expect(f?.intercept).toBe(4.95);
    expect(f?.prediction).toBe(1.75);
    expect(f?.standardError).toBe(0.25);
    expect(f?.lower).toBeCloseTo(1.75 - 4.303 * 0.25, 3);
    expect(f?.upper).toBeCloseTo(1.75 + 4.303 * 0.25, 3);
  });

  it('needs three points with spread', () => {
    expect(linearForecast([{ x: 0, y: 1 }, { x: 1, y: 2 }], 2)).toBeNull();
    expect(linearForecast([{ x: 1, y: 1 }, { x: 1, y: 2 }, { x: 1, y: 3 }], 2)).toBeNull();
    expect(tCritical95(2)).toBe(4.303);
    expect(tCritical95(100)).toBe(1.96);
  });

  it('computes the Student t distribution against closed forms and tables', () => {
    // df 1 is Cauchy: 1/2 + atan(t)/π; df 2: 1/2 + t/(2√(2 + t²)).
    expect(studentTCdf(1, 1)).toBeCloseTo(0.75, 10);
    expect(studentTCdf(-3, 1)).toBeCloseTo(0.5 + Math.atan(-3) / Math.PI, 10);
    expect(studentTCdf(1, 2)).toBeCloseTo(0.5 + 1 / (2 * Math.sqrt(3)), 10);
    expect(studentTCdf(-1, 2)).toBeCloseTo(0.5 - 1 / (2 * Math.sqrt(3)), 10);
    expect(studentTCdf(0, 5)).toBeCloseTo(0.5, 12);
    // The table's two-sided 95% critical values are the 0.975 quantiles.
    expect(studentTCdf(tCritical95(4), 4)).toBeCloseTo(0.975, 3);
    expect(studentTCdf(tCritical95(10), 10)).toBeCloseTo(0.975, 3);
    expect(studentTCdf(tCritical95(30), 30)).toBeCloseTo(0.975, 3);
  });

  it('gives the probability of an URGENT drop next round from the predictive distribution', () => {
    const f = linearForecast(forecastTest.points, 4) as Forecast;
    // centre 1.75, se 0.25, df 2: P(next < 2) = P(T < 1) = 1/2 + 1/(2√3) = 0.7887
    expect(probabilityBelow(f, 2)).toBeCloseTo(0.788675, 5);
    // baseline of the 4 scores 3.75 − 0.5 = 3.25; t = (3.25 − 1.75)/0.25 = 6; 1/2 + 6/(2√38) = 0.987
    expect(urgentDriftOf(f, [5, 4, 3.5, 2.5], 0.5)).toEqual({ threshold: 3.25, probability: 0.987, rounds: 4 });
    // Only the last 6 published scores form the baseline: (6 × 5)/6 − 0.5 = 4.5, at the centre → 1/2.
    const centred: Forecast = { slope: 0, intercept: 4.5, center: 4.5, prediction: 4.5, standardError: 0.3, lower: 3.8, upper: 5.2, pointsUsed: 7 };
    expect(urgentDriftOf(centred, [7, 5, 5, 5, 5, 5, 5], 0.5)).toEqual({ threshold: 4.5, probability: 0.5, rounds: 6 });
    expect(urgentDriftOf(centred, [], 0.5)).toBeNull();
  });

  it('clamps to the scale', () => {
    const f = linearForecast([{ x: 0, y: 2 }, { x: 1, y: 1.5 }, { x: 2, y: 1 }], 5, [1, 7]);
    expect(f?.prediction).toBe(1);
  });
});

describe('risk signals and alerts', () => {
  const round = (score: number, n = 10, itemMeans = [score, score, score, score, score, score, score], enps = 20): PublishedRound => ({ safetyScore: score, responseCount: n, itemMeans, enps });

  it('flags an URGENT drop against the 6-round baseline', () => {
    const previous = [round(9), round(5.5), round(5.5), round(5.5), round(5.5), round(5.5), round(5.5)];
    const analysis = analyzeRound(round(4.9), previous, DEFAULT_SAFETY_POLICY);
    // baseline uses only the last 6 rounds (5.5), not the oldest 9
    expect(analysis.baseline).toBe(5.5);
    expect(analysis.baselineRounds).toBe(6);
    expect(analysis.change).toBe(-0.6);
    expect(analysis.signals.map((s) => s.kind)).toEqual(['SCORE_DROP']);
    expect(alertSeverityOf(analysis.signals)).toBe('URGENT');
  });

  it('flags a ROUTINE drop, participation collapse and item divergence', () => {
    const latest = round(5.2, 5, [4, 6, 5.5, 5.5, 5.5, 5, 5]);
    const analysis = analyzeRound(latest, [round(5.5), round(5.5)], DEFAULT_SAFETY_POLICY);
    expect(analysis.signals.map((s) => s.kind).sort()).toEqual(['ITEM_DIVERGENCE', 'PARTICIPATION_COLLAPSE', 'SCORE_DROP']);
    expect(analysis.signals.find((s) => s.kind === 'PARTICIPATION_COLLAPSE')?.value).toBe(0.5);
    expect(alertSeverityOf(analysis.signals)).toBe('ROUTINE');
    expect(recommendedActionOf('ROUTINE', analysis.signals)).toContain('fewer people answered');
  });

  it('celebrates a rise and a sustained high score', () => {
    const analysis = analyzeRound(round(6.4), [round(6), round(6.1)], DEFAULT_SAFETY_POLICY);
    expect(analysis.signals.map((s) => s.kind).sort()).toEqual(['SCORE_RISE', 'SUSTAINED_HIGH']);
    expect(alertSeverityOf(analysis.signals)).toBe('CELEBRATION');
  });

  it('raises nothing for a stable team or a first round', () => {
    expect(analyzeRound(round(5.5), [round(5.5), round(5.4)], DEFAULT_SAFETY_POLICY).signals).toEqual([]);
    expect(analyzeRound(round(5), [], DEFAULT_SAFETY_POLICY).baseline).toBeNull();
    expect(alertSeverityOf([])).toBeNull();
  });
});

describe('who handles an alert', () => {
  it("is an organization admin or the team's own manager", () => {
    const team = { managerId: 'mona' };
    expect(mayHandleAlert({ subject: 'olive', scopes: ['org:read', 'org:write', 'org:admin'] }, team)).toBe(true);
    expect(mayHandleAlert({ subject: 'mona', scopes: ['org:read', 'org:write'] }, team)).toBe(true);
    expect(mayHandleAlert({ subject: 'max', scopes: ['org:read', 'org:write'] }, team)).toBe(false);
    // A team registered by hand has no known manager: admins only.
    expect(mayHandleAlert({ subject: 'mona', scopes: ['org:read', 'org:write'] }, { managerId: null })).toBe(false);
    expect(mayHandleAlert({ subject: 'mona', scopes: ['org:read', 'org:write'] }, null)).toBe(false);
  });
});

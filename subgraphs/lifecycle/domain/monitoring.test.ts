import { checkSignals, describeBreaches, incidentFactsText, judgeSignals, localRootCause, type IncidentFacts } from './monitoring.ts';

const errorOf = (fn: () => unknown): { code: string; field?: string } => {
  try {
    fn();
  } catch (error) {
    const e = error as { code: string; options: { field?: string } };
    return { code: e.code, field: e.options.field };
  }
  throw new Error('expected an error');
};

describe('monitoring thresholds', () => {
  it('breaches above 5% errors and below 85% success, not at the boundaries', () => {
    expect(judgeSignals({ requests: 100, errors: 5, conversations: 100, successfulConversations: 85 })).toEqual({ errorRate: 0.05, successRate: 0.85, breaches: [] });
    expect(judgeSignals({ requests: 100, errors: 6, conversations: 100, successfulConversations: 85 }).breaches).toEqual(['ERROR_RATE']);
    expect(judgeSignals({ requests: 100, errors: 5, conversations: 100, successfulConversations: 84 }).breaches).toEqual(['SUCCESS_RATE']);
    expect(judgeSignals({ requests: 400, errors: 30, conversations: 40, successfulConversations: 20 })).toEqual({ errorRate: 0.075, successRate: 0.5, breaches: ['ERROR_RATE', 'SUCCESS_RATE'] });
  });

  it('does not judge rates over fewer than 20 samples', () => {
    expect(judgeSignals({ requests: 19, errors: 19, conversations: 19, successfulConversations: 0 })).toEqual({ errorRate: null, successRate: null, breaches: [] });
    expect(judgeSignals({ requests: 20, errors: 2, conversations: 0, successfulConversations: 0 })).toEqual({ errorRate: 0.1, successRate: null, breaches: ['ERROR_RATE'] });
  });

  it('refuses inconsistent windows, naming the field', () => {
    expect(errorOf(() => checkSignals({ requests: 10, errors: 11, conversations: 0, successfulConversations: 0 }))).toEqual({ code: 'BAD_USER_INPUT', field: 'input.errors' });
    expect(errorOf(() => checkSignals({ requests: 10, errors: 1, conversations: 5, successfulConversations: 6 }))).toEqual({ code: 'BAD_USER_INPUT', field: 'input.successfulConversations' });
    expect(errorOf(() => checkSignals({ requests: -1, errors: 0, conversations: 0, successfulConversations: 0 }))).toEqual({ code: 'BAD_USER_INPUT', field: 'input.requests' });
    expect(errorOf(() => checkSignals({ requests: 0, errors: 0, conversations: 0, successfulConversations: 0 }))).toEqual({ code: 'BAD_USER_INPUT', field: 'input.requests' });
  });

  it('describes breaches in words', () => {
    expect(describeBreaches(judgeSignals({ requests: 400, errors: 30, conversations: 40, successfulConversations: 20 }))).toBe('error rate 7.5% > 5.0% and success rate 50.0% < 85.0%');
  });
});

describe('local root-cause summary', () => {
  const base: IncidentFacts = {
    configName: 'Hotline',
    environment: 'PRODUCTION',
    version: 7,
    previousVersion: 6,
    deployedAt: '2026-11-24T10:00:00.000Z',
    openedAt: '2026-11-24T10:12:00.000Z',
    verdict: { errorRate: 0.09, successRate: 0.9, breaches: ['ERROR_RATE'] },
    history: [{ at: '2026-11-24T10:12:00.000Z', errorRate: 0.09, successRate: 0.9 }],
  };

  it('blames a fresh deployment and proposes the rollback', () => {
    const rca = localRootCause(base);
    expect(rca.summary).toBe('Likely a regression in configuration version 7: the error rate 9.0% > 5.0% 12 minutes after it was deployed to PRODUCTION. Roll back to version 6 and diff the two versions.');
    expect(rca.confidence).toBe(0.8);
  });

  it('points away from the configuration when the same version was healthy for hours', () => {
    const facts: IncidentFacts = {
      ...base,
      openedAt: '2026-11-24T15:00:00.000Z',
      history: [
        { at: '2026-11-24T11:00:00.000Z', errorRate: 0.01, successRate: 0.95 },
        { at: '2026-11-24T13:00:00.000Z', errorRate: 0.02, successRate: 0.93 },
        { at: '2026-11-24T15:00:00.000Z', errorRate: 0.09, successRate: 0.9 },
      ],
    };
    const rca = localRootCause(facts);
    expect(rca.summary).toMatch(/^Likely a runtime or upstream change, not the configuration: version 7 was within thresholds for 2 windows/);
    expect(rca.confidence).toBe(0.55);
    expect(incidentFactsText(facts)).toContain('2 earlier signal windows of this version were recorded, 2 of them within thresholds.');
  });

  it('says when there is nothing to roll back to', () => {
    expect(localRootCause({ ...base, previousVersion: null }).summary).toMatch(/No previous version exists to roll back to; fix forward\.$/);
  });
});

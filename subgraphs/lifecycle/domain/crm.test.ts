import {
  applyMapping,
  backoffDelayMs,
  checkBackoffBase,
  checkEndpointUrl,
  checkFieldMapping,
  checkStageMapping,
  crmStageOf,
  decideAfterAttempt,
  isPrivateAddress,
  MAX_BACKOFF_MS,
  outcomeOfHttpStatus,
  retrySchedule,
} from './crm.ts';

const codeOf = (fn: () => unknown): { code: string; field?: string; hint?: string } => {
  try {
    fn();
  } catch (error) {
    const e = error as { code: string; options: { field?: string; hint?: string } };
    return { code: e.code, field: e.options.field, hint: e.options.hint };
  }
  throw new Error('expected an error');
};

describe('CRM retry schedule', () => {
  it('doubles from the base: 30 s, 60 s, 120 s, 240 s between the 5 tries', () => {
    expect(retrySchedule(30_000)).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(retrySchedule(20)).toEqual([20, 40, 80, 160]);
    expect(backoffDelayMs(1, 1000)).toBe(1000);
    expect(backoffDelayMs(4, 1000)).toBe(8000);
  });

  it('caps a single wait at 6 hours', () => {
    expect(backoffDelayMs(10, 3_600_000)).toBe(MAX_BACKOFF_MS);
    expect(MAX_BACKOFF_MS).toBe(21_600_000);
  });

  it('retries a transient failure until the 5th try, then dead-letters', () => {
    const now = new Date('2026-11-24T00:00:00.000Z');
    expect(decideAfterAttempt(0, 'RETRYABLE', 1000, now)).toEqual({ status: 'PENDING', attempts: 1, nextAttemptAt: '2026-11-24T00:00:01.000Z' });
    expect(decideAfterAttempt(1, 'RETRYABLE', 1000, now)).toEqual({ status: 'PENDING', attempts: 2, nextAttemptAt: '2026-11-24T00:00:02.000Z' });
    expect(decideAfterAttempt(3, 'RETRYABLE', 1000, now)).toEqual({ status: 'PENDING', attempts: 4, nextAttemptAt: '2026-11-24T00:00:08.000Z' });
    expect(decideAfterAttempt(4, 'RETRYABLE', 1000, now)).toEqual({ status: 'DEAD_LETTER', attempts: 5, nextAttemptAt: null });
  });

  it('ends on delivery, sends conflicts to review and dead-letters refusals at once', () => {
    const now = new Date('2026-11-24T00:00:00.000Z');
    expect(decideAfterAttempt(2, 'DELIVERED', 1000, now)).toEqual({ status: 'DELIVERED', attempts: 3, nextAttemptAt: null });
    expect(decideAfterAttempt(0, 'CONFLICT', 1000, now)).toEqual({ status: 'CONFLICT', attempts: 1, nextAttemptAt: null });
    expect(decideAfterAttempt(0, 'REJECTED', 1000, now)).toEqual({ status: 'DEAD_LETTER', attempts: 1, nextAttemptAt: null });
  });

  it('classifies HTTP answers', () => {
    expect([200, 201, 204].map(outcomeOfHttpStatus)).toEqual(['DELIVERED', 'DELIVERED', 'DELIVERED']);
    expect(outcomeOfHttpStatus(409)).toBe('CONFLICT');
    expect([408, 425, 429, 500, 502, 503].map(outcomeOfHttpStatus)).toEqual(Array(6).fill('RETRYABLE'));
    expect([301, 400, 401, 403, 404, 422].map(outcomeOfHttpStatus)).toEqual(Array(6).fill('REJECTED'));
  });

  it('bounds the backoff base', () => {
    expect(checkBackoffBase(10)).toBe(10);
    expect(checkBackoffBase(3_600_000)).toBe(3_600_000);
    expect(codeOf(() => checkBackoffBase(9))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.backoffBaseMs' });
    expect(codeOf(() => checkBackoffBase(1.5)).code).toBe('BAD_USER_INPUT');
  });
});

describe('CRM field mapping', () => {
  it('renames mapped fields, keeps the others and maps stage values', () => {
    const fields = checkFieldMapping([{ source: 'stage', target: 'StageName' }, { source: 'name', target: ' AccountName ' }]);
    const stages = checkStageMapping([{ stage: 'WON', value: 'Closed Won' }, { stage: 'PROPOSAL', value: 'Proposal/Price Quote' }]);
    expect(applyMapping({ opportunityId: 'p1', name: 'Acme', stage: 'WON', previousStage: 'PROPOSAL', changedAt: '2026-11-24T00:00:00Z' }, fields, stages)).toEqual([
      { name: 'opportunityId', value: 'p1' },
      { name: 'AccountName', value: 'Acme' },
      { name: 'StageName', value: 'Closed Won' },
      { name: 'previousStage', value: 'Proposal/Price Quote' },
      { name: 'changedAt', value: '2026-11-24T00:00:00Z' },
    ]);
    expect(crmStageOf('LOST', stages)).toBe('LOST');
    expect(crmStageOf(null, stages)).toBeNull();
  });

  it('refuses unknown sources, duplicates and bad CRM field names, naming the field', () => {
    expect(codeOf(() => checkFieldMapping([{ source: 'revenue', target: 'Amount' }]))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.fieldMapping.0.source' });
    expect(codeOf(() => checkFieldMapping([{ source: 'stage', target: 'A' }, { source: 'stage', target: 'B' }])).field).toBe('input.fieldMapping.1.source');
    expect(codeOf(() => checkFieldMapping([{ source: 'stage', target: 'A' }, { source: 'name', target: 'A' }])).field).toBe('input.fieldMapping.1.target');
    expect(codeOf(() => checkFieldMapping([{ source: 'stage', target: 'Stage.Name' }])).field).toBe('input.fieldMapping.0.target');
    expect(codeOf(() => checkFieldMapping([{ source: 'stage', target: '$where' }])).field).toBe('input.fieldMapping.0.target');
    expect(codeOf(() => checkStageMapping([{ stage: 'CLOSED', value: 'x' }])).field).toBe('input.stageMapping.0.stage');
    expect(codeOf(() => checkStageMapping([{ stage: 'WON', value: ' ' }])).field).toBe('input.stageMapping.0.value');
  });
});

describe('CRM endpoint validation', () => {
  it('accepts public https endpoints', () => {
    expect(checkEndpointUrl(' https://crm.example.com/api/sync?x=1 ', false)).toBe('https://crm.example.com/api/sync?x=1');
  });

  it('refuses other schemes, credentials and fragments', () => {
    expect(codeOf(() => checkEndpointUrl('ftp://crm.example.com', true))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.endpointUrl' });
    expect(codeOf(() => checkEndpointUrl('not a url', true)).code).toBe('BAD_USER_INPUT');
    expect(codeOf(() => checkEndpointUrl('https://u:p@crm.example.com', true)).hint).toMatch(/user:password/);
    expect(codeOf(() => checkEndpointUrl('https://crm.example.com/#x', true)).code).toBe('BAD_USER_INPUT');
    expect(codeOf(() => checkEndpointUrl('http://crm.example.com', false)).hint).toMatch(/https/);
  });

  it('refuses loopback and private hosts in production, allows them in development and tests', () => {
    for (const url of ['https://localhost/x', 'https://127.0.0.1/x', 'https://10.1.2.3/x', 'https://192.168.0.5/x', 'https://172.20.0.1/x', 'https://169.254.169.254/latest', 'https://[::1]/x', 'https://crm.internal/x', 'https://printer.local/x']) {
      expect(codeOf(() => checkEndpointUrl(url, false)).code).toBe('BAD_USER_INPUT');
    }
    expect(checkEndpointUrl('http://127.0.0.1:4999/crm', true)).toBe('http://127.0.0.1:4999/crm');
    expect(isPrivateAddress('172.32.0.1')).toBe(false);
    expect(isPrivateAddress('8.8.8.8')).toBe(false);
    expect(isPrivateAddress('100.64.0.1')).toBe(true);
  });
});

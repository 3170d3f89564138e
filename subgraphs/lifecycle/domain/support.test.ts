import { DomainError } from '../../../platform/errors.ts';
import { checkResolution, checkThreshold, checkTicket, combineUrgency, decideResolution, rankSimilar, slaDueAt, supportRates, urgencyByRules } from './support.ts';

const fieldOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error.options.field;
    throw error;
  }
  return undefined;
};

describe('support engine rules', () => {
  it('classifies urgency by lexicon', () => {
    expect(urgencyByRules('Production is DOWN for all users!')).toEqual({ urgency: 'HIGH', matched: ['down', 'production', 'all users'] });
    expect(urgencyByRules('The export button shows an error')).toEqual({ urgency: 'MEDIUM', matched: ['error'] });
    expect(urgencyByRules('How do I change my avatar?')).toEqual({ urgency: 'LOW', matched: [] });
    expect(urgencyByRules('the download page')).toEqual({ urgency: 'LOW', matched: [] });
  });

  it('lets the model raise urgency when confident, never lower it', () => {
    expect(combineUrgency('LOW', { label: 'high', confidence: 0.7 })).toEqual({ urgency: 'HIGH', usedModel: true });
    expect(combineUrgency('HIGH', { label: 'low', confidence: 0.9 })).toEqual({ urgency: 'HIGH', usedModel: false });
    expect(combineUrgency('LOW', { label: 'high', confidence: 0.5 })).toEqual({ urgency: 'LOW', usedModel: false });
    expect(combineUrgency('MEDIUM', { label: undefined, confidence: 1 })).toEqual({ urgency: 'MEDIUM', usedModel: false });
  });

  it('sets SLA due times by urgency', () => {
    const at = new Date('2026-01-01T00:00:00.000Z');
    expect(slaDueAt(at, 'HIGH').toISOString()).toBe('2026-01-01T04:00:00.000Z');
    expect(slaDueAt(at, 'MEDIUM').toISOString()).toBe('2026-01-02T00:00:00.000Z');
    expect(slaDueAt(at, 'LOW').toISOString()).toBe('2026-01-04T00:00:00.000Z');
  });

  it('ranks resolved tickets by TF-IDF cosine similarity', () => {
    // idf = 1 + ln(3/2) for every term (each in one of 2 documents), so all weights are equal:
    // A shares 2 of the query's 3 terms: 2 / (√3 · √2) = 0.8165; B shares 1: 1 / (√3 · √2) = 0.4082.
    const docs = [{ id: 'A', text: 'password reset' }, { id: 'B', text: 'email export' }, { id: 'C', text: 'billing invoice' }];
    expect(rankSimilar('password reset email', docs.slice(0, 2))).toEqual([{ id: 'A', similarity: 0.8165 }, { id: 'B', similarity: 0.4082 }]);
    expect(rankSimilar('Password reset', docs)[0]).toEqual({ id: 'A', similarity: 1 });
    expect(rankSimilar('unrelated words entirely', docs)).toEqual([]);
    expect(rankSimilar('the and of', docs)).toEqual([]);
  });

  it('auto-resolves at or above the threshold', () => {
    expect(decideResolution(0.85, 0.85)).toBe('RESOLVED');
    expect(decideResolution(0.8499, 0.85)).toBe('ESCALATED');
  });

  it('computes the autonomous-resolution and escalation rates', () => {
    expect(supportRates({ total: 3, autoResolved: 2, escalated: 1 })).toEqual({ autonomousResolutionRate: 0.6667, escalationRate: 0.3333 });
    expect(supportRates({ total: 0, autoResolved: 0, escalated: 0 })).toEqual({ autonomousResolutionRate: 0, escalationRate: 0 });
  });

  it('validates input with the field named', () => {
    expect(fieldOf(() => checkTicket({ subject: 'x', body: 'long enough' }))).toBe('input.subject');
    expect(fieldOf(() => checkTicket({ subject: 'Valid subject', body: ' ' }))).toBe('input.body');
    expect(fieldOf(() => checkThreshold(0.4))).toBe('input.autoResolveThreshold');
    expect(checkThreshold(0.9)).toBe(0.9);
    expect(fieldOf(() => checkResolution('ok'))).toBe('resolution');
  });
});

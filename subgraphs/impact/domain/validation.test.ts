import { DomainError } from '../../../platform/errors.ts';
import { checkConsentScopes, checkWindow, normalizeImpactEvent } from './validation.ts';

const fieldOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error.options.field;
    throw error;
  }
  return undefined;
};
const now = new Date('2026-11-23T12:00:00Z');

describe('impact event validation', () => {
  it('normalizes each kind', () => {
    const aug = normalizeImpactEvent({ kind: 'WORKFLOW_AUGMENTATION', personId: 'p1', augmentation: { workflowId: 'wf-1', minutesSaved: 30 } }, now);
    expect(aug).toMatchObject({ workflowId: 'wf-1', minutesSaved: 30, occurredAt: now.toISOString(), solutionId: null });
    const adopt = normalizeImpactEvent({ kind: 'SOLUTION_ADOPTION', personId: 'p1', teamId: 't1', adoption: { solutionId: 's1', adopterId: 'p1', sourceId: 'p2' } }, now);
    expect(adopt).toMatchObject({ solutionId: 's1', sourceId: 'p2', teamId: 't1' });
    const outcome = normalizeImpactEvent({ kind: 'BUSINESS_OUTCOME', personId: 'p1', outcome: { metric: ' hours ', baseline: 10, value: 8, higherIsBetter: false } }, now);
    expect(outcome).toMatchObject({ metric: 'hours', baseline: 10, value: 8, higherIsBetter: false });
  });

  it('names the wrong field', () => {
    expect(fieldOf(() => normalizeImpactEvent({ kind: 'WORKFLOW_AUGMENTATION', personId: 'p1' }, now))).toBe('input.augmentation');
    expect(fieldOf(() => normalizeImpactEvent({ kind: 'WORKFLOW_AUGMENTATION', personId: 'p1', augmentation: { workflowId: 'w', minutesSaved: 1 }, calendar: { coveredMinutes: 1, totalMinutes: 2 } }, now))).toBe('input.calendar');
    expect(fieldOf(() => normalizeImpactEvent({ kind: 'WORKFLOW_AUGMENTATION', personId: 'p1', augmentation: { workflowId: 'w', minutesSaved: -1 } }, now))).toBe('input.augmentation.minutesSaved');
    expect(fieldOf(() => normalizeImpactEvent({ kind: 'CALENDAR_COVERAGE', personId: 'p1', calendar: { coveredMinutes: 90, totalMinutes: 60 } }, now))).toBe('input.calendar.coveredMinutes');
    expect(fieldOf(() => normalizeImpactEvent({ kind: 'SOLUTION_ADOPTION', personId: 'p1', adoption: { solutionId: 's', adopterId: 'p2' } }, now))).toBe('input.adoption.adopterId');
    expect(fieldOf(() => normalizeImpactEvent({ kind: 'SOLUTION_ADOPTION', personId: 'p1', adoption: { solutionId: 's', adopterId: 'p1', sourceId: 'p1' } }, now))).toBe('input.adoption.sourceId');
    expect(fieldOf(() => normalizeImpactEvent({ kind: 'INTERACTION_DEPTH', personId: 'p1', interaction: { turns: 2.5 } }, now))).toBe('input.interaction.turns');
    expect(fieldOf(() => normalizeImpactEvent({ kind: 'BUSINESS_OUTCOME', personId: '', outcome: { metric: 'm', baseline: 1, value: 2 } }, now))).toBe('input.personId');
    expect(fieldOf(() => normalizeImpactEvent({ kind: 'INTERACTION_DEPTH', personId: 'p1', occurredAt: '2027-01-01T00:00:00Z', interaction: { turns: 2 } }, now))).toBe('input.occurredAt');
  });

  it('checks windows and consent scopes', () => {
    expect(checkWindow({ from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' }).from.toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(fieldOf(() => checkWindow({ from: '2026-11-02T00:00:00Z', to: '2026-11-01T00:00:00Z' }))).toBe('window.to');
    expect(fieldOf(() => checkWindow({ from: '2024-01-01T00:00:00Z', to: '2026-11-01T00:00:00Z' }))).toBe('window.from');
    expect(checkConsentScopes(['PULSE', 'IMPACT_TRACKING', 'PULSE'])).toEqual(['IMPACT_TRACKING', 'PULSE']);
    expect(fieldOf(() => checkConsentScopes(['EVERYTHING']))).toBe('input.scopes');
  });
});

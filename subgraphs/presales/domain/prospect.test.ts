import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../../../platform/errors.ts';
import { advanceStage, allowedStageTransitions, canTransitionStage, checkProspectInput, normalizeWebsite, transitionStage } from './prospect.ts';

const fieldOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return `${error.code}:${error.options.field}`;
    throw error;
  }
  return undefined;
};

describe('prospect stage machine', () => {
  it('follows NEW → RESEARCHED → DEMO → PROPOSAL → WON', () => {
    expect(transitionStage('NEW', 'RESEARCHED')).toBe('RESEARCHED');
    expect(transitionStage('RESEARCHED', 'DEMO')).toBe('DEMO');
    expect(transitionStage('DEMO', 'PROPOSAL')).toBe('PROPOSAL');
    expect(transitionStage('PROPOSAL', 'WON')).toBe('WON');
  });
  it('allows LOST from every open stage and nothing from closed ones', () => {
    for (const stage of ['NEW', 'RESEARCHED', 'DEMO', 'PROPOSAL'] as const) expect(canTransitionStage(stage, 'LOST')).toBe(true);
    expect(allowedStageTransitions('WON')).toEqual([]);
    expect(allowedStageTransitions('LOST')).toEqual([]);
  });
  it('refuses skipping and going back, naming the field', () => {
    expect(canTransitionStage('NEW', 'DEMO')).toBe(false);
    expect(canTransitionStage('DEMO', 'RESEARCHED')).toBe(false);
    expect(canTransitionStage('RESEARCHED', 'WON')).toBe(false);
    expect(fieldOf(() => transitionStage('NEW', 'WON'))).toBe('BAD_USER_INPUT:stage');
  });
  it('advanceStage moves forward one step, keeps later stages, refuses skips and closed prospects', () => {
    expect(advanceStage('NEW', 'RESEARCHED')).toBe('RESEARCHED');
    expect(advanceStage('DEMO', 'RESEARCHED')).toBe('DEMO');
    expect(advanceStage('RESEARCHED', 'RESEARCHED')).toBe('RESEARCHED');
    expect(fieldOf(() => advanceStage('NEW', 'DEMO'))).toBe('BAD_USER_INPUT:prospectId');
    expect(fieldOf(() => advanceStage('WON', 'PROPOSAL'))).toBe('BAD_USER_INPUT:prospectId');
  });
});

describe('prospect input', () => {
  it('normalizes websites', () => {
    expect(normalizeWebsite('Acme.COM')).toBe('https://acme.com');
    expect(normalizeWebsite('http://www.acme.com/about/')).toBe('https://www.acme.com/about');
    expect(fieldOf(() => normalizeWebsite('not a site'))).toBe('BAD_USER_INPUT:input.website');
  });
  it('defaults business type to B2B and lower-cases email', () => {
    const checked = checkProspectInput({ companyName: '  Acme Dental ', contactEmail: 'Ann@Acme.com', website: 'acme.com' });
    expect(checked).toEqual({ companyName: 'Acme Dental', website: 'https://acme.com', industry: null, employeeCount: null, businessType: 'B2B', contactName: null, contactEmail: 'ann@acme.com' });
  });
  it('rejects bad fields with their paths', () => {
    expect(fieldOf(() => checkProspectInput({ companyName: 'A' }))).toBe('BAD_USER_INPUT:input.companyName');
    expect(fieldOf(() => checkProspectInput({ companyName: 'Acme', contactEmail: 'nope' }))).toBe('BAD_USER_INPUT:input.contactEmail');
    expect(fieldOf(() => checkProspectInput({ companyName: 'Acme', employeeCount: 0 }))).toBe('BAD_USER_INPUT:input.employeeCount');
    expect(fieldOf(() => checkProspectInput({ companyName: 'Acme', employeeCount: 2.5 }))).toBe('BAD_USER_INPUT:input.employeeCount');
  });
});

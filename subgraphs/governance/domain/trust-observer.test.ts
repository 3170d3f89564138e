import { evaluateObserver } from './observer.ts';
import { decayTowardBaseline, routeByTrust, updateTrust } from './trust.ts';

describe('trust', () => {
  it('decays toward the 0.7 baseline with a 24 h half-life', () => {
    expect(decayTowardBaseline(0.3, 24)).toBe(0.5);
    expect(decayTowardBaseline(0.9, 48)).toBe(0.75);
    expect(decayTowardBaseline(0.4, 0)).toBe(0.4);
  });

  it('adds evidence after decay, clamps to 0–1 and explains the change', () => {
    expect(updateTrust(0.7, 0, ['BLOCK'])).toEqual({ oldScore: 0.7, newScore: 0.5, reason: 'BLOCK -0.2' });
    expect(updateTrust(0.5, 24, ['CLEAN_TURN'])).toEqual({ oldScore: 0.5, newScore: 0.62, reason: 'decay 0.5→0.6; CLEAN_TURN +0.02' });
    expect(updateTrust(0.1, 0, ['BLOCK']).newScore).toBe(0);
    expect(updateTrust(0.99, 0, ['CLEAN_TURN']).newScore).toBe(1);
  });

  it('routes by the lower of user and conversation trust', () => {
    expect(routeByTrust(0.29, 0.9)).toBe('HUMAN');
    expect(routeByTrust(0.45, 0.8)).toBe('STRICT');
    expect(routeByTrust(0.7, 0.7)).toBe('STANDARD');
  });
});

describe('observer', () => {
  const base = { inputOutcome: 'ALLOW' as const, outputOutcome: 'ALLOW' as const, matches: [], conversationTrustBefore: 0.7, conversationTrustAfter: 0.72, userTrustAfter: 0.72, responseConfidence: 0.8 };
  const injection = [{ policyId: 'baseline', policyRevision: 0, ruleKey: 'prompt-injection', kind: 'PROMPT_INJECTION' as const, action: 'BLOCK' as const, detectors: ['PROMPT_INJECTION'], count: 1 }];

  it('reviews a block and warns on the trust drop it caused', () => {
    expect(evaluateObserver({ ...base, inputOutcome: 'BLOCK', outputOutcome: null, matches: injection, conversationTrustAfter: 0.5, userTrustAfter: 0.5 })).toEqual([
      { trigger: 'POLICY_VIOLATION', action: 'REQUIRE_REVIEW', outcome: 'QUEUED_FOR_REVIEW', reason: 'blocked by PROMPT_INJECTION' },
      { trigger: 'TRUST_DROP', action: 'WARN', outcome: 'USER_WARNED', reason: 'conversation trust fell by 0.2' },
    ]);
  });

  it('ends the session when a block leaves conversation trust under 0.3', () => {
    expect(evaluateObserver({ ...base, inputOutcome: 'BLOCK', outputOutcome: null, matches: injection, conversationTrustBefore: 0.45, conversationTrustAfter: 0.25 })).toEqual([
      { trigger: 'POLICY_VIOLATION', action: 'END_SESSION', outcome: 'SESSION_ENDED', reason: 'blocked by PROMPT_INJECTION; conversation trust 0.25 < 0.3' },
    ]);
  });

  it('hands escalations to a person, warns on redactions, flags low-confidence answers', () => {
    expect(evaluateObserver({ ...base, outputOutcome: 'ESCALATE' }).map((f) => f.action)).toEqual(['HAND_TO_HUMAN']);
    expect(evaluateObserver({ ...base, inputOutcome: 'REDACT', conversationTrustAfter: 0.67 }).map((f) => [f.trigger, f.action])).toEqual([['POLICY_VIOLATION', 'WARN']]);
    expect(evaluateObserver({ ...base, responseConfidence: 0.2 }).map((f) => f.trigger)).toEqual(['QUALITY_ISSUE']);
    expect(evaluateObserver(base)).toEqual([]);
  });
});

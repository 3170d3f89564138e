import { detectRedactionMarkers, isRedactionMarker } from './detectors.ts';
import { DomainError } from '../../../platform/errors.ts';
import { BASELINE_POLICY, checkPolicyRules, evaluatePolicies, messagesInWindow, type PolicyBody, type PolicyRule } from './policy.ts';
import { reevaluate, type StoredDecisionOf } from './reevaluation.ts';
import { recoverTrust, routeByTrust } from './trust.ts';

const rule = (overrides: Partial<PolicyRule>): PolicyRule => ({ key: 'r', kind: 'PII', points: ['INPUT'], action: 'REDACT', redaction: 'MASK', piiTypes: [], terms: [], minLength: null, maxLength: null, toxicityThreshold: 0, ...overrides });
const policy = (rules: PolicyRule[], overrides: Partial<PolicyBody> = {}): PolicyBody => ({ id: 'p1', name: 'P', revision: 2, enabled: true, appliesToRoles: [], rules, ...overrides });

describe('redaction markers in stored text', () => {
  const stored = 'Card [REDACTED CREDIT_CARD ••••6467], mail [REDACTED EMAIL], key [API_KEY#0123456789ab], literal [REDACTED] and [x#0123456789ab]';

  it('finds the markers redact() leaves, by detector, and nothing else', () => {
    expect(detectRedactionMarkers(stored, ['CREDIT_CARD', 'EMAIL'])).toEqual([
      { start: 5, end: 36, detector: 'CREDIT_CARD' },
      { start: 43, end: 59, detector: 'EMAIL' },
    ]);
    expect(detectRedactionMarkers(stored, ['API_KEY'])).toEqual([{ start: 65, end: 87, detector: 'API_KEY' }]);
    expect(isRedactionMarker('[REDACTED CREDIT_CARD ••••6467]')).toBe(true);
    expect(isRedactionMarker('[REDACTED CREDIT_CARD ••••6467] ')).toBe(false);
    expect(isRedactionMarker('[REDACTED]')).toBe(false);
  });

  it('counts markers only when evaluating stored text, and keeps them as they are', () => {
    const cardsEscalate = policy([rule({ key: 'cards', piiTypes: ['CREDIT_CARD'], action: 'ESCALATE' })]);
    const live = evaluatePolicies([cardsEscalate], { text: stored, point: 'INPUT', roles: [], hashKey: 'k' });
    expect(live.outcome).toBe('ALLOW');
    const again = evaluatePolicies([cardsEscalate], { text: stored, point: 'INPUT', roles: [], hashKey: 'k', stored: true });
    expect(again.outcome).toBe('ESCALATE');
    expect(again.matches).toEqual([{ policyId: 'p1', policyRevision: 2, ruleKey: 'cards', kind: 'PII', action: 'ESCALATE', detectors: ['CREDIT_CARD'], count: 1 }]);
    expect(again.redactedText).toBe(stored);
    // A HASH rule does not re-hash a marker either.
    const secretsHashed = evaluatePolicies([BASELINE_POLICY], { text: 'key [API_KEY#0123456789ab]', point: 'INPUT', roles: [], hashKey: 'k', stored: true });
    expect(secretsHashed).toMatchObject({ outcome: 'REDACT', forwardText: 'key [API_KEY#0123456789ab]', redactedText: 'key [API_KEY#0123456789ab]' });
  });
});

describe('reevaluate', () => {
  const messages: StoredDecisionOf[] = [
    { messageId: 'm1', text: 'Refund to [REDACTED CREDIT_CARD ••••6467] please', point: 'INPUT', previousDecisionId: 'd1', previousOutcome: 'REDACT', roles: ['MEMBER'] },
    { messageId: 'm2', text: 'Should I buy crypto?', point: 'INPUT', previousDecisionId: 'd2', previousOutcome: 'ALLOW', roles: ['MEMBER'] },
    { messageId: 'm3', text: 'Crypto is volatile.', point: 'OUTPUT', previousDecisionId: 'd3', previousOutcome: 'ALLOW', roles: ['MEMBER'] },
    { messageId: 'm4', text: 'What time do you open?', point: 'INPUT', previousDecisionId: 'd4', previousOutcome: 'ALLOW', roles: ['MEMBER'] },
    { messageId: 'm5', text: 'crypto question from an admin', point: 'INPUT', previousDecisionId: 'd5', previousOutcome: 'ALLOW', roles: ['ADMIN'] },
  ];
  const noCrypto = policy([rule({ key: 'crypto', kind: 'BANNED_TOPIC', points: ['INPUT'], action: 'ESCALATE', terms: ['crypto'] })], { appliesToRoles: ['MEMBER'] });

  it('decides each message at its own point and roles under the new revisions, and reports what changed', () => {
    const summary = reevaluate([BASELINE_POLICY, noCrypto], messages, 'k');
    expect(summary.results.map((r) => [r.messageId, r.previousOutcome, r.evaluation.outcome, r.changed])).toEqual([
      ['m1', 'REDACT', 'REDACT', false],
      ['m2', 'ALLOW', 'ESCALATE', true],
      // OUTPUT is not a point of the crypto rule
      ['m3', 'ALLOW', 'ALLOW', false],
      ['m4', 'ALLOW', 'ALLOW', false],
      // the rule applies to MEMBERs only
      ['m5', 'ALLOW', 'ALLOW', false],
    ]);
    expect(summary.changedCount).toBe(1);
    expect(summary.newlyWithheld).toEqual(['m2']);
    expect(summary.worst).toBe('ESCALATE');
    expect(summary.results[0].evaluation.policyRevisions).toEqual([{ policyId: 'baseline', revision: 0 }, { policyId: 'p1', revision: 2 }]);
  });

  it('sees a masked card through its marker when a revision makes cards a blocking matter', () => {
    const cardsBlock = policy([rule({ key: 'cards', piiTypes: ['CREDIT_CARD'], action: 'BLOCK' })], { revision: 5 });
    const summary = reevaluate([cardsBlock], messages.slice(0, 1), 'k');
    expect(summary.results[0]).toMatchObject({ messageId: 'm1', previousOutcome: 'REDACT', changed: true, evaluation: { outcome: 'BLOCK', forwardText: null } });
    expect(summary.newlyWithheld).toEqual(['m1']);
    // Nothing to re-evaluate: nothing changes.
    expect(reevaluate([cardsBlock], [], 'k')).toEqual({ results: [], changedCount: 0, newlyWithheld: [], worst: 'ALLOW' });
  });
});

describe('recoverTrust (the explicit recovery path)', () => {
  it('lifts a low score to the 0.5 floor, after decay, and explains it', () => {
    expect(recoverTrust(0.25, 0, 'u-admin')).toEqual({ oldScore: 0.25, newScore: 0.5, reason: 'recovered to 0.5 after review by u-admin' });
    // 24 h later the distance to 0.7 halved: 0.1 → 0.4, then lifted to 0.5.
    expect(recoverTrust(0.1, 24, 'u-admin')).toEqual({ oldScore: 0.1, newScore: 0.5, reason: 'decay 0.1→0.4; recovered to 0.5 after review by u-admin' });
    // 0.3 decayed over 48 h: 0.7 − 0.4/4 = 0.6, already above the floor.
    expect(recoverTrust(0.3, 48, 'u-admin')).toEqual({ oldScore: 0.3, newScore: 0.6, reason: 'decay 0.3→0.6; already at or above 0.5; review by u-admin' });
    expect(recoverTrust(0.8, 0, 'u-admin').newScore).toBe(0.8);
  });

  it('routes the next turn in standard mode once both scores are recovered', () => {
    expect(routeByTrust(0.29, 0.29)).toBe('HUMAN');
    expect(routeByTrust(recoverTrust(0.29, 0, 'r').newScore, recoverTrust(0.2, 0, 'r').newScore)).toBe('STANDARD');
  });
});

describe('rate bounds at INTERACTION', () => {
  const rate = rule({ key: 'rate', kind: 'RATE', points: ['INTERACTION'], action: 'WARN', maxMessages: 3, windowSeconds: 60 });
  const now = Date.parse('2026-03-02T10:00:00.000Z');
  const at = (secondsAgo: number): number => now - secondsAgo * 1000;

  it('counts the sender’s messages in the sliding window, this one included', () => {
    expect(messagesInWindow({ messageTimes: [], now }, 60)).toBe(1);
    // 59.999 s ago is inside a 60 s window, 60 s ago is not; a time after now is ignored.
    expect(messagesInWindow({ messageTimes: [at(10), at(59.999), at(60), at(-5)], now }, 60)).toBe(3);
  });

  it('flags the message that goes over the bound, and only with the flow', () => {
    const evaluate = (times: number[]) => evaluatePolicies([policy([rate])], { text: 'hello', point: 'INTERACTION', roles: [], hashKey: 'k', flow: { messageTimes: times, now } });
    expect(evaluate([at(5), at(20)]).outcome).toBe('ALLOW');
    expect(evaluate([at(5), at(20), at(40)])).toMatchObject({ outcome: 'WARN', matches: [{ ruleKey: 'rate', kind: 'RATE', action: 'WARN', detectors: ['RATE'], count: 1 }], forwardText: 'hello' });
    expect(evaluate([at(5), at(20), at(70)]).outcome).toBe('ALLOW');
    // No flow (a dry run over texts), or another point: no rate decision.
    expect(evaluatePolicies([policy([rate])], { text: 'hello', point: 'INTERACTION', roles: [], hashKey: 'k' }).outcome).toBe('ALLOW');
    expect(evaluatePolicies([policy([rate])], { text: 'hello', point: 'INPUT', roles: [], hashKey: 'k', flow: { messageTimes: [at(1), at(2), at(3)], now } }).outcome).toBe('ALLOW');
  });

  it('validates RATE rules and keeps REDACT away from INTERACTION', () => {
    const fieldOf = (input: Parameters<typeof checkPolicyRules>[0]): string | undefined => {
      try {
        checkPolicyRules(input);
      } catch (error) {
        if (error instanceof DomainError) return error.options.field;
        throw error;
      }
      return undefined;
    };
    expect(checkPolicyRules([{ key: 'rate', kind: 'RATE', points: ['INTERACTION'], action: 'ESCALATE', maxMessages: 5, windowSeconds: 30 }])[0]).toMatchObject({ kind: 'RATE', maxMessages: 5, windowSeconds: 30 });
    expect(fieldOf([{ key: 'rate', kind: 'RATE', points: ['INTERACTION'], action: 'WARN', windowSeconds: 30 }])).toBe('input.rules[0].maxMessages');
    expect(fieldOf([{ key: 'rate', kind: 'RATE', points: ['INTERACTION'], action: 'WARN', maxMessages: 5, windowSeconds: 0 }])).toBe('input.rules[0].windowSeconds');
    expect(fieldOf([{ key: 'rate', kind: 'RATE', points: ['INPUT', 'INTERACTION'], action: 'WARN', maxMessages: 5, windowSeconds: 30 }])).toBe('input.rules[0].points');
    expect(fieldOf([{ key: 'topic', kind: 'BANNED_TOPIC', points: ['INTERACTION'], action: 'REDACT', terms: ['x'] }])).toBe('input.rules[0].action');
  });
});

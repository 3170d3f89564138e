import type { PolicyAction, RuleMatch } from './policy.ts';

export type ObserverTrigger = 'POLICY_VIOLATION' | 'TRUST_DROP' | 'RISK_ESCALATION' | 'QUALITY_ISSUE' | 'MANUAL_REVIEW';
export type ObserverAction = 'WARN' | 'REQUIRE_REVIEW' | 'HAND_TO_HUMAN' | 'END_SESSION';
export type ObserverOutcome = 'USER_WARNED' | 'QUEUED_FOR_REVIEW' | 'HANDED_TO_HUMAN' | 'SESSION_ENDED';

export interface ObserverFinding {
  trigger: ObserverTrigger;
  action: ObserverAction;
  outcome: ObserverOutcome;
  reason: string;
}

export interface ObserverInput {
  inputOutcome: PolicyAction;
  outputOutcome: PolicyAction | null;
  matches: readonly RuleMatch[];
  conversationTrustBefore: number;
  conversationTrustAfter: number;
  userTrustAfter: number;
  responseConfidence: number | null;
}

const OUTCOME_OF: Record<ObserverAction, ObserverOutcome> = { WARN: 'USER_WARNED', REQUIRE_REVIEW: 'QUEUED_FOR_REVIEW', HAND_TO_HUMAN: 'HANDED_TO_HUMAN', END_SESSION: 'SESSION_ENDED' };

const finding = (trigger: ObserverTrigger, action: ObserverAction, reason: string): ObserverFinding => ({ trigger, action, outcome: OUTCOME_OF[action], reason });

/**
 * The observer's rules, in order of weight: a block is reviewed (and ends the session once
 * conversation trust falls under 0.3); an escalation hands the conversation to a person; warnings
 * and redactions warn; a trust drop of 0.1 or more in one turn warns; a response with confidence
 * under 0.3 is a quality issue.
 */
export const evaluateObserver = (input: ObserverInput): ObserverFinding[] => {
  const findings: ObserverFinding[] = [];
  const worst = [input.inputOutcome, input.outputOutcome ?? 'ALLOW'];
  const kinds = [...new Set(input.matches.map((m) => m.kind))].sort().join(', ');
  if (worst.includes('BLOCK')) {
    const end = input.conversationTrustAfter < 0.3;
    findings.push(finding('POLICY_VIOLATION', end ? 'END_SESSION' : 'REQUIRE_REVIEW', `blocked by ${kinds}${end ? `; conversation trust ${input.conversationTrustAfter} < 0.3` : ''}`));
  } else if (worst.includes('ESCALATE')) {
    findings.push(finding('RISK_ESCALATION', 'HAND_TO_HUMAN', `escalated by ${kinds}`));
  } else if (worst.includes('WARN') || worst.includes('REDACT')) {
    findings.push(finding('POLICY_VIOLATION', 'WARN', `${worst.includes('WARN') ? 'warning' : 'redaction'} by ${kinds}`));
  }
  const drop = Math.round((input.conversationTrustBefore - input.conversationTrustAfter) * 10_000) / 10_000;
  if (drop >= 0.1 && !findings.some((f) => f.action === 'END_SESSION')) findings.push(finding('TRUST_DROP', input.userTrustAfter < 0.3 ? 'HAND_TO_HUMAN' : 'WARN', `conversation trust fell by ${drop}`));
  if (input.responseConfidence !== null && input.responseConfidence < 0.3) findings.push(finding('QUALITY_ISSUE', 'WARN', `response confidence ${input.responseConfidence} < 0.3`));
  return findings;
};

import { inputError } from '../../../platform/errors.ts';

/** Pure approval routing: type, risk and amount decide the approver role, the SLA and the escalation chain. */

export type ApprovalType = 'DISCOUNT' | 'REFUND' | 'CONFIG_CHANGE' | 'CONTRACT' | 'SPEND';
export const APPROVAL_TYPES: readonly ApprovalType[] = ['DISCOUNT', 'REFUND', 'CONFIG_CHANGE', 'CONTRACT', 'SPEND'];
export type ApprovalRisk = 'LOW' | 'MEDIUM' | 'HIGH';
export const APPROVAL_RISKS: readonly ApprovalRisk[] = ['LOW', 'MEDIUM', 'HIGH'];

/** The first approver of each type: the specialist who owns that kind of decision. */
export const TYPE_APPROVER: Readonly<Record<ApprovalType, string>> = {
  DISCOUNT: 'SALES_SPECIALIST',
  CONTRACT: 'SALES_SPECIALIST',
  REFUND: 'SUPPORT_SPECIALIST',
  CONFIG_CHANGE: 'ONBOARDING_SPECIALIST',
  SPEND: 'ADMIN',
};

/** Amount at or above which a request skips the specialist and starts at ADMIN. */
export const ADMIN_AMOUNT = 10_000;
/** Amount at or above which a HIGH-risk request starts at OWNER. */
export const OWNER_AMOUNT = 50_000;
/** Below this amount, a LOW-risk request is approved automatically. */
export const AUTO_APPROVE_BELOW = 1_000;

/** Default SLA per risk, in seconds (HIGH 2 h, MEDIUM 8 h, LOW 24 h). */
export const DEFAULT_SLA_SECONDS: Readonly<Record<ApprovalRisk, number>> = { HIGH: 7_200, MEDIUM: 28_800, LOW: 86_400 };

export interface ApprovalRequestFacts {
  type: ApprovalType;
  risk: ApprovalRisk;
  amount: number;
}

export type Routing =
  | { outcome: 'AUTO_APPROVED'; chain: string[]; level: 0; role: null; slaSeconds: null; reason: string }
  | { outcome: 'PENDING'; chain: string[]; level: number; role: string; slaSeconds: number; reason: string };

/** The escalation chain of a type: its specialist, then ADMIN, then OWNER (without repeats). */
export const chainOf = (type: ApprovalType): string[] => [...new Set([TYPE_APPROVER[type], 'ADMIN', 'OWNER'])];

export const checkRequest = (facts: ApprovalRequestFacts): ApprovalRequestFacts => {
  if (!APPROVAL_TYPES.includes(facts.type)) throw inputError('input.type', `unknown approval type ${facts.type}`, `Use one of ${APPROVAL_TYPES.join(', ')}.`);
  if (!APPROVAL_RISKS.includes(facts.risk)) throw inputError('input.risk', `unknown risk ${facts.risk}`, `Use one of ${APPROVAL_RISKS.join(', ')}.`);
  if (!Number.isFinite(facts.amount) || facts.amount < 0 || facts.amount > 1e12) throw inputError('input.amount', 'amount must be 0 or more', 'Give the amount at stake in the organization currency (0 when none).');
  return facts;
};

/**
 * Routes a request: LOW risk under 1,000 is approved automatically; otherwise the chain starts at
 * the type's specialist, at ADMIN from 10,000 or for HIGH risk, at OWNER for HIGH risk from 50,000.
 * The SLA comes from the risk (per-organization overrides in `slaSeconds`).
 */
export const routeApproval = (facts: ApprovalRequestFacts, slaSeconds: Readonly<Record<ApprovalRisk, number>> = DEFAULT_SLA_SECONDS): Routing => {
  const chain = chainOf(facts.type);
  if (facts.risk === 'LOW' && facts.amount < AUTO_APPROVE_BELOW) {
    return { outcome: 'AUTO_APPROVED', chain, level: 0, role: null, slaSeconds: null, reason: `LOW risk and amount ${facts.amount} below ${AUTO_APPROVE_BELOW}: approved automatically` };
  }
  let role = chain[0];
  let why = `${facts.type} requests go to ${role}`;
  if (facts.risk === 'HIGH' && facts.amount >= OWNER_AMOUNT) {
    role = 'OWNER';
    why = `HIGH risk with amount ${facts.amount} ≥ ${OWNER_AMOUNT} goes to OWNER`;
  } else if ((facts.risk === 'HIGH' || facts.amount >= ADMIN_AMOUNT) && chain.indexOf('ADMIN') > chain.indexOf(role)) {
    role = 'ADMIN';
    why = facts.risk === 'HIGH' ? 'HIGH risk goes to ADMIN' : `amount ${facts.amount} ≥ ${ADMIN_AMOUNT} goes to ADMIN`;
  }
  const sla = slaSeconds[facts.risk];
  return { outcome: 'PENDING', chain, level: chain.indexOf(role), role, slaSeconds: sla, reason: `${why}; ${facts.risk} risk SLA ${sla} s` };
};

/** The next step when the SLA passed: the next role in the chain with a fresh SLA, or null at the top. */
export const escalationOf = (chain: readonly string[], level: number): { level: number; role: string } | null => (level + 1 < chain.length ? { level: level + 1, role: chain[level + 1] } : null);

/** Seconds left until the deadline (negative once overdue), whole seconds rounded down toward overdue. */
export const countdownSeconds = (deadline: string, now: Date): number => Math.floor((Date.parse(deadline) - now.getTime()) / 1000);

/** Whether a principal with `roles` may decide a request assigned to `role`: that role, a role above it in the chain, or PLATFORM_ADMIN. */
export const mayDecide = (roles: readonly string[], chain: readonly string[], role: string): boolean => {
  if (roles.includes('PLATFORM_ADMIN')) return true;
  const at = chain.indexOf(role);
  return chain.slice(Math.max(0, at)).some((r) => roles.includes(r));
};

export const checkSlaSeconds = (sla: Readonly<Record<ApprovalRisk, number>>): Record<ApprovalRisk, number> => {
  for (const risk of APPROVAL_RISKS) {
    const v = sla[risk];
    if (!Number.isInteger(v) || v < 1 || v > 30 * 86_400) throw inputError(`input.slaSeconds.${risk}`, `the ${risk} SLA must be 1 s to 30 days`, 'Give whole seconds, e.g. 7200 for two hours.');
  }
  return { LOW: sla.LOW, MEDIUM: sla.MEDIUM, HIGH: sla.HIGH };
};

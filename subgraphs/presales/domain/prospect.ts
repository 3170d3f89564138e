import { inputError } from '../../../platform/errors.ts';

/** Where a prospect is in the sales pipeline. */
export type ProspectStage = 'NEW' | 'RESEARCHED' | 'DEMO' | 'PROPOSAL' | 'WON' | 'LOST';

/** Business type: decides the NDA clauses. */
export type BusinessType = 'B2B' | 'B2C' | 'HEALTHCARE' | 'FINANCE';

export const PROSPECT_STAGES: readonly ProspectStage[] = ['NEW', 'RESEARCHED', 'DEMO', 'PROPOSAL', 'WON', 'LOST'];

/**
 * The pipeline: NEW → RESEARCHED → DEMO → PROPOSAL → WON, and LOST from any open stage.
 * Research may be re-run (RESEARCHED → RESEARCHED is not a transition, the stage just stays).
 */
const TRANSITIONS: Readonly<Record<ProspectStage, readonly ProspectStage[]>> = {
  NEW: ['RESEARCHED', 'LOST'],
  RESEARCHED: ['DEMO', 'LOST'],
  DEMO: ['PROPOSAL', 'LOST'],
  PROPOSAL: ['WON', 'LOST'],
  WON: [],
  LOST: [],
};

export const allowedStageTransitions = (from: ProspectStage): readonly ProspectStage[] => TRANSITIONS[from];

export const canTransitionStage = (from: ProspectStage, to: ProspectStage): boolean => TRANSITIONS[from].includes(to);

export const isClosedStage = (stage: ProspectStage): boolean => stage === 'WON' || stage === 'LOST';

/** The next stage, or a BAD_USER_INPUT error naming `field` and the allowed moves. */
export const transitionStage = (from: ProspectStage, to: ProspectStage, field = 'stage'): ProspectStage => {
  if (!canTransitionStage(from, to)) {
    const allowed = TRANSITIONS[from];
    throw inputError(field, `A prospect cannot move from ${from} to ${to}`, allowed.length ? `From ${from} it can move to ${allowed.join(' or ')}.` : `${from} is final; create a new prospect instead.`);
  }
  return to;
};

/**
 * Moves the stage forward to `target` when the pipeline allows it, and leaves it alone when the prospect
 * is already at or past `target` (re-running research on a prospect in DEMO keeps DEMO). Closed prospects
 * and skipped stages are refused.
 */
export const advanceStage = (from: ProspectStage, target: ProspectStage, field = 'prospectId'): ProspectStage => {
  if (isClosedStage(from)) throw inputError(field, `The prospect is ${from}`, 'Closed prospects cannot be changed; create a new prospect instead.');
  const order = PROSPECT_STAGES.indexOf(from);
  const wanted = PROSPECT_STAGES.indexOf(target);
  if (wanted <= order) return from;
  return transitionStage(from, target, field);
};

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,253}\.[^\s@]{2,63}$/;

export interface ProspectInput {
  companyName: string;
  website?: string | null;
  industry?: string | null;
  employeeCount?: number | null;
  businessType?: BusinessType | null;
  contactName?: string | null;
  contactEmail?: string | null;
}

export interface CheckedProspect {
  companyName: string;
  website: string | null;
  industry: string | null;
  employeeCount: number | null;
  businessType: BusinessType;
  contactName: string | null;
  contactEmail: string | null;
}

/** Normalizes a website to `https://host[/path]`; refuses anything that is not an http(s) host name. */
export const normalizeWebsite = (website: string, field = 'input.website'): string => {
  const raw = website.trim();
  const withScheme = /^https?:\/\//i.test(raw) ? raw : `https://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw inputError(field, `"${raw.slice(0, 80)}" is not a website address`, 'Use a domain such as acme.com or https://acme.com.');
  }
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(url.hostname)) throw inputError(field, `"${raw.slice(0, 80)}" has no valid host name`, 'Use a domain such as acme.com.');
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, '');
  return `https://${url.hostname.toLowerCase()}${path}`;
};

/** Validates and normalizes a new prospect. B2B is the default business type. */
export const checkProspectInput = (input: ProspectInput): CheckedProspect => {
  const companyName = input.companyName.trim();
  if (companyName.length < 2 || companyName.length > 160) throw inputError('input.companyName', 'Company name must be 2–160 characters', 'Give the company name as it appears on its website.');
  const industry = input.industry?.trim() || null;
  if (industry && industry.length > 80) throw inputError('input.industry', 'Industry must be at most 80 characters', 'Use a short industry name such as Healthcare.');
  const employeeCount = input.employeeCount ?? null;
  if (employeeCount !== null && (!Number.isInteger(employeeCount) || employeeCount < 1 || employeeCount > 5_000_000)) {
    throw inputError('input.employeeCount', 'Employee count must be a whole number between 1 and 5,000,000', 'Leave it empty if unknown; research fills it from the website.');
  }
  const contactName = input.contactName?.trim() || null;
  if (contactName && contactName.length > 120) throw inputError('input.contactName', 'Contact name must be at most 120 characters', 'Shorten the name.');
  const contactEmail = input.contactEmail?.trim().toLowerCase() || null;
  if (contactEmail && !EMAIL.test(contactEmail)) throw inputError('input.contactEmail', `"${contactEmail.slice(0, 80)}" is not a valid email address`, 'Use an address like name@example.com.');
  return {
    companyName,
    website: input.website?.trim() ? normalizeWebsite(input.website) : null,
    industry,
    employeeCount,
    businessType: input.businessType ?? 'B2B',
    contactName,
    contactEmail,
  };
};

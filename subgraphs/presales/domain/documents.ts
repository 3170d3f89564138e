import { inputError } from '../../../platform/errors.ts';
import type { BusinessType } from './prospect.ts';

export interface DocumentSection {
  /** Stable clause or section code, e.g. `nda.hipaa`. */
  code: string;
  heading: string;
  body: string;
}

const BASE_CLAUSES = (company: string): DocumentSection[] => [
  { code: 'nda.parties', heading: 'Parties', body: `This Mutual Non-Disclosure Agreement is made between Cognitive Mesh and ${company}.` },
  { code: 'nda.definition', heading: 'Confidential Information', body: 'Confidential Information means any non-public business, technical or financial information disclosed by either party, in any form.' },
  { code: 'nda.obligations', heading: 'Obligations', body: 'Each party keeps the other\'s Confidential Information secret, uses it only to evaluate the proposed engagement, and limits access to people who need it.' },
  { code: 'nda.term', heading: 'Term', body: 'Obligations last three (3) years from the date of signature.' },
];

/** Clauses added by business type, on top of the base clauses. */
const TYPE_CLAUSES: Readonly<Record<BusinessType, readonly DocumentSection[]>> = {
  B2B: [{ code: 'nda.non_solicit', heading: 'Non-Solicitation', body: 'Neither party solicits the other\'s employees involved in the evaluation for twelve (12) months.' }],
  B2C: [
    { code: 'nda.consumer_data', heading: 'Consumer Personal Data', body: 'End-customer personal data is processed only as instructed and in line with GDPR and CCPA; a Data Processing Agreement governs any production use.' },
  ],
  HEALTHCARE: [
    { code: 'nda.hipaa', heading: 'Protected Health Information', body: 'No Protected Health Information (PHI) is disclosed under this agreement; any PHI requires a HIPAA Business Associate Agreement signed beforehand.' },
    { code: 'nda.breach_notice', heading: 'Breach Notification', body: 'A party discovering unauthorized disclosure notifies the other within 72 hours.' },
  ],
  FINANCE: [
    { code: 'nda.glba', heading: 'Financial Customer Information', body: 'Non-public personal financial information is protected under the Gramm-Leach-Bliley Act safeguards rule.' },
    { code: 'nda.audit', heading: 'Audit Rights', body: 'The disclosing party may audit compliance with this agreement once a year on 30 days\' notice.' },
    { code: 'nda.term_extended', heading: 'Extended Term', body: 'For trading and financial data, obligations last five (5) years from the date of signature.' },
  ],
};

/** NDA sections for a business type: the base clauses, then the type's own, then governing law. */
export const ndaClauses = (businessType: BusinessType, companyName: string): DocumentSection[] => [
  ...BASE_CLAUSES(companyName),
  ...TYPE_CLAUSES[businessType],
  { code: 'nda.law', heading: 'Governing Law', body: 'This agreement is governed by the laws of the State of Delaware.' },
];

export interface PriceTier {
  /** First unit of the tier (1-based, inclusive). */
  from: number;
  /** Last unit of the tier (inclusive), null for unbounded. */
  to: number | null;
  /** Price per unit in cents. */
  unitPriceCents: number;
}

/** Monthly price per conversation, graduated: each tier prices only the units that fall in it. */
export const CONVERSATION_TIERS: readonly PriceTier[] = [
  { from: 1, to: 1_000, unitPriceCents: 50 },
  { from: 1_001, to: 10_000, unitPriceCents: 35 },
  { from: 10_001, to: 50_000, unitPriceCents: 25 },
  { from: 50_001, to: null, unitPriceCents: 15 },
];

export interface PriceLine extends PriceTier {
  units: number;
  amountCents: number;
}

export interface PriceQuote {
  volume: number;
  lines: PriceLine[];
  subtotalCents: number;
  platformFeeCents: number;
  totalCents: number;
  /** totalCents / volume, rounded to a tenth of a cent (0 for no volume). */
  effectiveUnitPriceCents: number;
}

/** Monthly platform fee per product type, in cents. */
export const PLATFORM_FEE_CENTS: Readonly<Record<'CHATBOT' | 'VOICEBOT', number>> = { CHATBOT: 49_900, VOICEBOT: 99_900 };

/** Graduated (tiered) price of `volume` units: pure arithmetic in integer cents. */
export const tieredPrice = (volume: number, tiers: readonly PriceTier[] = CONVERSATION_TIERS, platformFeeCents = 0): PriceQuote => {
  if (!Number.isInteger(volume) || volume < 0) throw inputError('input.monthlyVolume', 'Monthly volume must be a whole number ≥ 0', 'Give the expected conversations per month, e.g. 5000.');
  const lines: PriceLine[] = [];
  for (const tier of tiers) {
    if (volume < tier.from) break;
    const last = tier.to === null ? volume : Math.min(volume, tier.to);
    const units = last - tier.from + 1;
    lines.push({ ...tier, units, amountCents: units * tier.unitPriceCents });
  }
  const subtotalCents = lines.reduce((sum, line) => sum + line.amountCents, 0);
  const totalCents = subtotalCents + platformFeeCents;
  return { volume, lines, subtotalCents, platformFeeCents, totalCents, effectiveUnitPriceCents: volume === 0 ? 0 : Math.round((totalCents / volume) * 10) / 10 };
};

/** Formats cents as US dollars, e.g. 123456 → "$1,234.56". */
export const formatUsd = (cents: number): string => `$${(cents / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

export type SignatureStatus = 'DRAFT' | 'SENT' | 'OPENED' | 'SIGNED' | 'EXPIRED' | 'DECLINED';

/** E-signature lifecycle: DRAFT → SENT → OPENED → SIGNED, SENT/OPENED → EXPIRED or DECLINED. Signing straight from SENT is allowed (providers may skip the open receipt). */
const SIGNATURE_TRANSITIONS: Readonly<Record<SignatureStatus, readonly SignatureStatus[]>> = {
  DRAFT: ['SENT'],
  SENT: ['OPENED', 'SIGNED', 'EXPIRED', 'DECLINED'],
  OPENED: ['SIGNED', 'EXPIRED', 'DECLINED'],
  SIGNED: [],
  EXPIRED: [],
  DECLINED: [],
};

export const canTransitionSignature = (from: SignatureStatus, to: SignatureStatus): boolean => SIGNATURE_TRANSITIONS[from].includes(to);

export interface SignatureState {
  status: SignatureStatus;
  /** ISO time after which the envelope can no longer be signed; null while a draft. */
  expiresAt: string | null;
}

/**
 * Applies a provider event at time `at`. An OPENED or SIGNED event after the expiry time is refused:
 * the envelope expired first. Returns the new status.
 */
export const applySignatureEvent = (state: SignatureState, event: SignatureStatus, at: Date, field = 'input.status'): SignatureStatus => {
  if (!canTransitionSignature(state.status, event)) {
    const allowed = SIGNATURE_TRANSITIONS[state.status];
    throw inputError(field, `A document in ${state.status} cannot become ${event}`, allowed.length ? `From ${state.status} it can become ${allowed.join(', ')}.` : `${state.status} is final.`);
  }
  if ((event === 'OPENED' || event === 'SIGNED') && state.expiresAt && at.getTime() > Date.parse(state.expiresAt)) {
    throw inputError(field, `The signature request expired at ${state.expiresAt}`, 'Record EXPIRED, then generate and send the document again.');
  }
  return event;
};

/** Expiry time of a signature request sent at `sentAt`, 1–90 days (default 14). */
export const signatureExpiry = (sentAt: Date, days: number | null | undefined, field = 'input.expiresInDays'): string => {
  const d = days ?? 14;
  if (!Number.isInteger(d) || d < 1 || d > 90) throw inputError(field, 'expiresInDays must be a whole number from 1 to 90', 'Most signature requests use 7–30 days.');
  return new Date(sentAt.getTime() + d * 86_400_000).toISOString();
};

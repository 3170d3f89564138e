import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../../../platform/errors.ts';
import { applySignatureEvent, canTransitionSignature, formatUsd, ndaClauses, signatureExpiry, tieredPrice } from './documents.ts';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return `${error.code}:${error.options.field}`;
    throw error;
  }
  return undefined;
};

describe('NDA clauses by business type', () => {
  const codes = (type: Parameters<typeof ndaClauses>[0]) => ndaClauses(type, 'Acme').map((c) => c.code);
  it('adds type-specific clauses between the base clauses and governing law', () => {
    const base = ['nda.parties', 'nda.definition', 'nda.obligations', 'nda.term'];
    expect(codes('B2B')).toEqual([...base, 'nda.non_solicit', 'nda.law']);
    expect(codes('B2C')).toEqual([...base, 'nda.consumer_data', 'nda.law']);
    expect(codes('HEALTHCARE')).toEqual([...base, 'nda.hipaa', 'nda.breach_notice', 'nda.law']);
    expect(codes('FINANCE')).toEqual([...base, 'nda.glba', 'nda.audit', 'nda.term_extended', 'nda.law']);
  });
  it('names the company in the parties clause', () => {
    expect(ndaClauses('B2B', 'Acme Corp')[0].body).toContain('Acme Corp');
  });
});

describe('graduated tier pricing', () => {
  it('prices 0 units as the platform fee only', () => {
    expect(tieredPrice(0, undefined, 49_900)).toEqual({ volume: 0, lines: [], subtotalCents: 0, platformFeeCents: 49_900, totalCents: 49_900, effectiveUnitPriceCents: 0 });
  });
  it('prices within the first tier', () => {
    // 500 × 50¢ = 25,000¢
    const q = tieredPrice(500);
    expect(q.lines).toEqual([{ from: 1, to: 1000, unitPriceCents: 50, units: 500, amountCents: 25_000 }]);
    expect(q.totalCents).toBe(25_000);
    expect(q.effectiveUnitPriceCents).toBe(50);
  });
  it('prices exactly at a tier boundary', () => {
    // 1000 × 50 = 50,000
    expect(tieredPrice(1000).lines.map((l) => l.units)).toEqual([1000]);
    // 1001: 1000 × 50 + 1 × 35 = 50,035
    expect(tieredPrice(1001).subtotalCents).toBe(50_035);
  });
  it('prices across all tiers', () => {
    // 60,000: 1000×50 = 50,000; 9000×35 = 315,000; 40,000×25 = 1,000,000; 10,000×15 = 150,000 → 1,515,000
    // + 99,900 fee = 1,614,900; per unit 1,614,900 / 60,000 = 26.915 → 26.9
    const q = tieredPrice(60_000, undefined, 99_900);
    expect(q.lines.map((l) => [l.units, l.amountCents])).toEqual([[1000, 50_000], [9000, 315_000], [40_000, 1_000_000], [10_000, 150_000]]);
    expect(q.subtotalCents).toBe(1_515_000);
    expect(q.totalCents).toBe(1_614_900);
    expect(q.effectiveUnitPriceCents).toBe(26.9);
  });
  it('refuses negative or fractional volume', () => {
    expect(codeOf(() => tieredPrice(-1))).toBe('BAD_USER_INPUT:input.monthlyVolume');
    expect(codeOf(() => tieredPrice(1.5))).toBe('BAD_USER_INPUT:input.monthlyVolume');
  });
  it('formats dollars', () => {
    expect(formatUsd(1_614_900)).toBe('$16,149.00');
    expect(formatUsd(35)).toBe('$0.35');
  });
});

describe('e-signature state machine', () => {
  const sent = { status: 'SENT' as const, expiresAt: '2026-01-15T00:00:00.000Z' };
  it('allows DRAFT → SENT → OPENED → SIGNED', () => {
    expect(applySignatureEvent({ status: 'DRAFT', expiresAt: null }, 'SENT', new Date('2026-01-01'))).toBe('SENT');
    expect(applySignatureEvent(sent, 'OPENED', new Date('2026-01-02'))).toBe('OPENED');
    expect(applySignatureEvent({ ...sent, status: 'OPENED' }, 'SIGNED', new Date('2026-01-03'))).toBe('SIGNED');
    expect(applySignatureEvent(sent, 'SIGNED', new Date('2026-01-03'))).toBe('SIGNED');
  });
  it('allows expiry and decline only while open', () => {
    expect(applySignatureEvent(sent, 'EXPIRED', new Date('2026-01-16'))).toBe('EXPIRED');
    expect(canTransitionSignature('OPENED', 'DECLINED')).toBe(true);
    expect(canTransitionSignature('SIGNED', 'EXPIRED')).toBe(false);
    expect(canTransitionSignature('DRAFT', 'SIGNED')).toBe(false);
    expect(codeOf(() => applySignatureEvent({ status: 'SIGNED', expiresAt: null }, 'OPENED', new Date()))).toBe('BAD_USER_INPUT:input.status');
  });
  it('refuses signing after the expiry time', () => {
    expect(codeOf(() => applySignatureEvent(sent, 'SIGNED', new Date('2026-01-15T00:00:01.000Z')))).toBe('BAD_USER_INPUT:input.status');
    expect(applySignatureEvent(sent, 'SIGNED', new Date('2026-01-15T00:00:00.000Z'))).toBe('SIGNED');
  });
  it('computes expiry 1–90 days after sending (default 14)', () => {
    const at = new Date('2026-01-01T00:00:00.000Z');
    expect(signatureExpiry(at, null)).toBe('2026-01-15T00:00:00.000Z');
    expect(signatureExpiry(at, 1)).toBe('2026-01-02T00:00:00.000Z');
    expect(codeOf(() => signatureExpiry(at, 0))).toBe('BAD_USER_INPUT:input.expiresInDays');
    expect(codeOf(() => signatureExpiry(at, 91))).toBe('BAD_USER_INPUT:input.expiresInDays');
  });
});

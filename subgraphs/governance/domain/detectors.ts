/** Pure detectors for policy rules: each returns the spans it found, never keeping the matched text. */

export type PiiType = 'EMAIL' | 'PHONE' | 'CREDIT_CARD' | 'IBAN' | 'US_SSN';
export const PII_TYPES: readonly PiiType[] = ['EMAIL', 'PHONE', 'CREDIT_CARD', 'IBAN', 'US_SSN'];

export type SecretType = 'AWS_ACCESS_KEY' | 'PRIVATE_KEY' | 'API_KEY';
export const SECRET_TYPES: readonly SecretType[] = ['AWS_ACCESS_KEY', 'PRIVATE_KEY', 'API_KEY'];

/** A found span: [start, end) in the text, and what was detected. */
export interface Span {
  start: number;
  end: number;
  detector: string;
}

const digitsOf = (value: string): string => value.replace(/\D/g, '');

/** Luhn checksum (credit cards): double every second digit from the right. */
export const luhnValid = (digits: string): boolean => {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
};

/** IBAN check: move the first four characters to the end, letters to 10..35, the number mod 97 must be 1. */
export const ibanValid = (raw: string): boolean => {
  const iban = raw.replace(/\s/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const value = ch >= 'A' && ch <= 'Z' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const digit of value) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder === 1;
};

const spansOf = (text: string, pattern: RegExp, detector: string, accept: (match: string, index: number) => boolean = () => true): Span[] => {
  const spans: Span[] = [];
  for (const match of text.matchAll(pattern)) {
    const index = match.index ?? 0;
    if (accept(match[0], index)) spans.push({ start: index, end: index + match[0].length, detector });
  }
  return spans;
};

const EMAIL = /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}/g;
const CARD = /\b(?:\d[ -]?){12,18}\d\b/g;
const IBAN = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b/g;
const SSN = /\b(\d{3})-(\d{2})-(\d{4})\b/g;
const PHONE = /(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?)?\d{2,4}[ .-]\d{3,4}[ .-]?\d{0,4}\b/g;
const SSN_CONTEXT = /\b(ssn|social security|social-security|taxpayer)\b/i;

/** US SSN: ddd-dd-dddd, area not 000/666/9xx, group and serial not zero, and a context word within 40 characters. */
const ssnAccept = (text: string) => (match: string, index: number): boolean => {
  const [area, group, serial] = match.split('-');
  if (area === '000' || area === '666' || area.startsWith('9') || group === '00' || serial === '0000') return false;
  const window = text.slice(Math.max(0, index - 40), index + match.length + 40);
  return SSN_CONTEXT.test(window);
};

/** PII spans of the requested types. Card numbers must pass Luhn, IBANs mod-97, SSNs need context. */
export const detectPii = (text: string, types: readonly PiiType[]): Span[] => {
  const spans: Span[] = [];
  if (types.includes('EMAIL')) spans.push(...spansOf(text, EMAIL, 'EMAIL'));
  if (types.includes('CREDIT_CARD')) spans.push(...spansOf(text, CARD, 'CREDIT_CARD', (m) => digitsOf(m).length >= 13 && digitsOf(m).length <= 19 && luhnValid(digitsOf(m))));
  if (types.includes('IBAN')) spans.push(...spansOf(text, IBAN, 'IBAN', (m) => ibanValid(m)));
  if (types.includes('US_SSN')) spans.push(...spansOf(text, SSN, 'US_SSN', ssnAccept(text)));
  if (types.includes('PHONE')) {
    const taken = [...spans];
    spans.push(...spansOf(text, PHONE, 'PHONE', (m, i) => {
      const n = digitsOf(m).length;
      // A phone has 7–15 digits and is not part of something already found (card, IBAN, SSN).
      return n >= 7 && n <= 15 && !taken.some((s) => i < s.end && i + m.length > s.start);
    }));
  }
  return spans;
};

const SECRET_PATTERNS: ReadonlyArray<{ detector: SecretType; pattern: RegExp }> = [
  { detector: 'AWS_ACCESS_KEY', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { detector: 'PRIVATE_KEY', pattern: /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z]+ )?PRIVATE KEY-----|$)/g },
  { detector: 'API_KEY', pattern: /\b(?:sk-[A-Za-z0-9_-]{20,}|ghp_[A-Za-z0-9]{36}|xox[bpa]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35})\b/g },
  { detector: 'API_KEY', pattern: /\b(?:api[_-]?key|secret|token|password)\s*[:=]\s*['"]?[A-Za-z0-9_\-/+]{12,}['"]?/gi },
];

/** Secret spans: AWS access keys, PEM private keys, well-known API key formats and `api_key=...` assignments. */
export const detectSecrets = (text: string): Span[] => SECRET_PATTERNS.flatMap(({ detector, pattern }) => spansOf(text, pattern, detector));

const INJECTION: readonly RegExp[] = [
  /\b(?:ignore|disregard|forget|override)\b[^.\n]{0,30}\b(?:previous|prior|above|earlier|all|your)\b[^.\n]{0,20}\b(?:instructions?|rules|prompts?|guidelines|directions)\b/gi,
  /\b(?:reveal|print|show|repeat|leak)\b[^.\n]{0,30}\b(?:system prompt|hidden (?:prompt|instructions)|your instructions)\b/gi,
  /\bnew instructions\s*:/gi,
  /<\/?(?:system|assistant)>|\[\/?INST\]/gi,
];

const JAILBREAK: readonly RegExp[] = [
  /\b(?:DAN|do anything now)\b/g,
  /\bdeveloper mode\b/gi,
  /\b(?:without|no|ignore (?:all|any|your))\s+(?:any\s+)?(?:restrictions|filters|limitations|safety guidelines|rules)\b/gi,
  /\bpretend (?:you are|to be)\b[^.\n]{0,40}\b(?:unrestricted|uncensored|evil|no rules)\b/gi,
  /\bjailbreak\b/gi,
];

export const detectPromptInjection = (text: string): Span[] => INJECTION.flatMap((p) => spansOf(text, p, 'PROMPT_INJECTION'));
export const detectJailbreak = (text: string): Span[] => JAILBREAK.flatMap((p) => spansOf(text, p, 'JAILBREAK'));

const escapeRegExp = (value: string): string => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whole-word, case-insensitive matches of the listed terms (phrases allowed). */
export const detectTerms = (text: string, terms: readonly string[], detector: string): Span[] =>
  terms.filter((t) => t.trim()).flatMap((term) => spansOf(text, new RegExp(`\\b${escapeRegExp(term.trim())}\\b`, 'gi'), detector));

/** A small built-in toxicity lexicon (insults, threats, slurs kept out); policies can add terms. */
export const TOXICITY_LEXICON: readonly string[] = ['idiot', 'stupid', 'moron', 'dumb', 'shut up', 'hate you', 'kill you', 'worthless', 'loser', 'pathetic', 'disgusting', 'screw you'];

/** Toxicity: lexicon hits, and the share of words that are hits (0–1). */
export const toxicityOf = (text: string, extraTerms: readonly string[] = []): { spans: Span[]; score: number } => {
  const spans = detectTerms(text, [...TOXICITY_LEXICON, ...extraTerms], 'TOXICITY');
  const words = text.split(/\s+/).filter(Boolean).length;
  return { spans, score: words === 0 ? 0 : Math.min(1, spans.length / words) };
};

/** The redaction markers `redact()` leaves in stored text: `[REDACTED TYPE]`, `[REDACTED CREDIT_CARD ••••1234]`, `[TYPE#<12 hex>]`. */
export const REDACTION_MARKER = /\[REDACTED ([A-Z_]+)(?: ••••\d{4})?\]|\[([A-Z_]+)#[0-9a-f]{12}\]/g;

/** Whether a whole value is one redaction marker. */
export const isRedactionMarker = (value: string): boolean => new RegExp(`^(?:${REDACTION_MARKER.source})$`).test(value);

/**
 * Spans of redaction markers of the given detectors. Stored text never holds the clear value, so
 * re-evaluating stored text (applyPolicies, dry runs over recent traffic) counts each marker as the
 * span it replaced: a rule that now covers cards sees the card that was masked then.
 */
export const detectRedactionMarkers = (text: string, detectors: readonly string[]): Span[] => {
  const spans: Span[] = [];
  for (const match of text.matchAll(REDACTION_MARKER)) {
    const detector = match[1] ?? match[2] ?? '';
    const index = match.index ?? 0;
    if (detectors.includes(detector)) spans.push({ start: index, end: index + match[0].length, detector });
  }
  return spans;
};


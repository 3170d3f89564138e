import { DomainError } from '../../../platform/errors.ts';
import { checkClarity, checkLatencyMs, checkMessageText, checkReason, checkSpeed, checkTags, checkTitle } from './validation.ts';

const fieldOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error.options.field;
    throw error;
  }
  return undefined;
};

describe('runtime validation', () => {
  it('validates voice speed 0.5–2.0 and clarity 0–1', () => {
    expect(checkSpeed(null, 1)).toBe(1);
    expect(checkSpeed(0.5, 1)).toBe(0.5);
    expect(checkSpeed(2, 1)).toBe(2);
    expect(fieldOf(() => checkSpeed(0.49, 1))).toBe('input.speed');
    expect(fieldOf(() => checkSpeed(2.01, 1, 'input.voice.speed'))).toBe('input.voice.speed');
    expect(fieldOf(() => checkSpeed(Number.NaN, 1))).toBe('input.speed');
    expect(checkClarity(undefined, 0.75)).toBe(0.75);
    expect(fieldOf(() => checkClarity(1.1, 0.75))).toBe('input.clarity');
  });

  it('normalizes tags and rejects bad ones', () => {
    expect(checkTags([' FAQ ', 'faq', 'Billing'])).toEqual(['faq', 'billing']);
    expect(checkTags(null)).toEqual([]);
    expect(fieldOf(() => checkTags(['#bad']))).toBe('input.tags');
    expect(fieldOf(() => checkTags(Array.from({ length: 21 }, (_, i) => `t${i}`)))).toBe('input.tags');
  });

  it('checks text lengths and latency values', () => {
    expect(checkTitle('  Refunds ')).toBe('Refunds');
    expect(fieldOf(() => checkTitle('   '))).toBe('input.title');
    expect(fieldOf(() => checkMessageText('x'.repeat(4001)))).toBe('input.text');
    expect(checkReason(undefined)).toBe('image needed');
    expect(checkLatencyMs(0, 'input.sttMs')).toBe(0);
    expect(fieldOf(() => checkLatencyMs(-1, 'input.sttMs'))).toBe('input.sttMs');
    expect(fieldOf(() => checkLatencyMs(1.5, 'input.llmMs'))).toBe('input.llmMs');
  });
});

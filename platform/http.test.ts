import { describe, expect, it } from '@jest/globals';
import type { IncomingMessage } from 'node:http';
import { correlationIdOf, newCorrelationId } from './http.ts';

const requestWith = (headers: Record<string, string>): IncomingMessage => ({ headers }) as unknown as IncomingMessage;

describe('correlation ids', () => {
  it('are ULID-shaped, unique and start with the current time', () => {
    const before = Date.now();
    const ids = Array.from({ length: 20_000 }, () => newCorrelationId());
    const after = Date.now();
    for (const id of ids.slice(0, 200)) expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(new Set(ids).size).toBe(ids.length);
    const decodeTime = (id: string): number => [...id.slice(0, 10)].reduce((acc, ch) => acc * 32 + '0123456789ABCDEFGHJKMNPQRSTVWXYZ'.indexOf(ch), 0);
    expect(decodeTime(ids[0])).toBeGreaterThanOrEqual(before);
    expect(decodeTime(ids[ids.length - 1])).toBeLessThanOrEqual(after);
  });

  it('spreads the random part over the whole alphabet', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) for (const ch of newCorrelationId().slice(10)) seen.add(ch);
    expect(seen.size).toBe(32);
  });

  it("keeps a caller's sane x-correlation-id and replaces anything else", () => {
    expect(correlationIdOf(requestWith({ 'x-correlation-id': 'abc-123.def:4' }))).toBe('abc-123.def:4');
    expect(correlationIdOf(requestWith({ 'x-correlation-id': 'bad id<script>' }))).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(correlationIdOf(requestWith({}))).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
  });
});

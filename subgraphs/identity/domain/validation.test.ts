import { checkAppScopes, checkMinGroupSize, checkPassword, checkRoles, checkSlug, checkTimeZone, normalizeEmail, slugify } from './validation.ts';
import { DomainError } from '../../../platform/errors.ts';
import { formatRefreshToken, hashPassword, parseRefreshToken, verifyPassword } from './secrets.ts';

const fieldOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error.options.field;
    throw error;
  }
  return undefined;
};

describe('identity validation', () => {
  it('normalizes emails and rejects malformed ones with the field named', () => {
    expect(normalizeEmail('  Ada@Example.COM ')).toBe('ada@example.com');
    expect(fieldOf(() => normalizeEmail('not-an-email'))).toBe('input.email');
    expect(fieldOf(() => normalizeEmail('a@b'))).toBe('input.email');
  });

  it('derives slugs from names and validates them', () => {
    expect(slugify('Acme Café & Co.')).toBe('acme-cafe-co');
    expect(checkSlug('acme-co')).toBe('acme-co');
    expect(fieldOf(() => checkSlug('-bad'))).toBe('input.slug');
    expect(fieldOf(() => checkSlug('a'))).toBe('input.slug');
  });

  it('keeps client roles in client orgs and platform roles in the platform org', () => {
    expect(checkRoles(['ADMIN', 'ADMIN', 'MEMBER'], false)).toEqual(['ADMIN', 'MEMBER']);
    expect(fieldOf(() => checkRoles(['SALES_AGENT'], false))).toBe('input.roles');
    expect(fieldOf(() => checkRoles(['OWNER'], true))).toBe('input.roles');
    expect(checkRoles(['SUPPORT_SPECIALIST'], true)).toEqual(['SUPPORT_SPECIALIST']);
    expect(fieldOf(() => checkRoles([], false))).toBe('input.roles');
  });

  it('enforces password length, group size floor, time zones and app scopes', () => {
    expect(fieldOf(() => checkPassword('short'))).toBe('input.password');
    expect(checkMinGroupSize(undefined)).toBe(5);
    expect(fieldOf(() => checkMinGroupSize(2))).toBe('input.minGroupSize');
    expect(checkTimeZone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(fieldOf(() => checkTimeZone('Mars/Olympus'))).toBe('input.timeZone');
    expect(checkAppScopes(['org:write', 'org:read'])).toEqual(['org:read', 'org:write']);
    expect(fieldOf(() => checkAppScopes(['org:admin']))).toBe('input.scopes');
  });
});

describe('identity secrets', () => {
  it('hashes passwords with scrypt and verifies only the right one', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash.startsWith('scrypt$16384$8$1$')).toBe(true);
    await expect(verifyPassword('correct horse battery', hash)).resolves.toBe(true);
    await expect(verifyPassword('wrong horse battery', hash)).resolves.toBe(false);
  });

  it('round-trips refresh token format and rejects garbage', () => {
    const token = formatRefreshToken('org1', 'tok1', 'sec');
    expect(parseRefreshToken(token)).toEqual({ tenantId: 'org1', tokenId: 'tok1', secret: 'sec' });
    expect(parseRefreshToken('rt1.a.b')).toBeNull();
    expect(parseRefreshToken('xx.a.b.c')).toBeNull();
  });
});

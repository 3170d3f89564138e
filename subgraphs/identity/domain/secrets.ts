import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCb) as (password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

const N = 16384;
const R = 8;
const P = 1;

/** scrypt password hash: `scrypt$N$r$p$salt$hash` (base64url). */
export const hashPassword = async (password: string): Promise<string> => {
  const salt = randomBytes(16);
  const hash = await scrypt(password.normalize('NFKC'), salt, 32, { N, r: R, p: P, maxmem: 64 * 1024 * 1024 });
  return ['scrypt', N, R, P, salt.toString('base64url'), hash.toString('base64url')].join('$');
};

export const verifyPassword = async (password: string, stored: string): Promise<boolean> => {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scrypt(password.normalize('NFKC'), Buffer.from(salt, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024 });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
};

/** A precomputed hash so unknown emails cost the same time as wrong passwords. */
export const DUMMY_HASH_PROMISE = hashPassword('dummy-password-for-timing');

/** SHA-256 of a high-entropy secret (refresh tokens, client secrets): no salt needed. */
export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('base64url');

export const secretsEqual = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Refresh tokens read `rt1.<tenantId>.<tokenId>.<secret>`: the tenant and token id locate the stored
 * record; the secret is checked against its hash. Nothing is trusted until that check passes.
 */
export const formatRefreshToken = (tenantId: string, tokenId: string, secret: string): string => `rt1.${tenantId}.${tokenId}.${secret}`;

export const parseRefreshToken = (token: string): { tenantId: string; tokenId: string; secret: string } | null => {
  const parts = token.split('.');
  if (parts.length !== 4 || parts[0] !== 'rt1' || parts.some((p) => !p || p.length > 200)) return null;
  return { tenantId: parts[1], tokenId: parts[2], secret: parts[3] };
};

export const newClientId = (): string => `app_${randomBytes(12).toString('base64url')}`;

import { SignJWT, createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWK, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { DomainError } from '../errors.ts';
import type { SigningKey } from './keys.ts';
import { isOrgRole, isPlatformRole, type Role } from './roles.ts';

/** Who is calling, as proven by a verified token. The tenant comes from here and nowhere else. */
export interface Principal {
  /** User id, or app id for client-credential tokens. */
  subject: string;
  kind: 'user' | 'app';
  /** The organization (tenant) this token acts in. */
  tenantId: string;
  roles: Role[];
  scopes: string[];
  platformAdmin: boolean;
  /** Set when platform staff act on a client organization through an assignment. */
  assignmentId?: string;
  email?: string;
  expiresAt: number;
}

export interface AccessTokenClaims {
  subject: string;
  kind: 'user' | 'app';
  tenantId: string;
  roles: Role[];
  scopes: string[];
  platformAdmin?: boolean;
  assignmentId?: string;
  email?: string;
  ttlSeconds: number;
}

export interface TokenSettings {
  issuer: string;
  audience: string;
}

/** Signs an RS256 access token with `kid` in the header. */
export const issueAccessToken = async (key: SigningKey, settings: TokenSettings, claims: AccessTokenClaims): Promise<{ token: string; expiresAt: Date }> => {
  const now = Math.floor(Date.now() / 1000);
  const exp = now + claims.ttlSeconds;
  const payload: JWTPayload = {
    org: claims.tenantId,
    typ: claims.kind,
    roles: claims.roles,
    scope: claims.scopes.join(' '),
    ...(claims.platformAdmin ? { pa: true } : {}),
    ...(claims.assignmentId ? { asg: claims.assignmentId } : {}),
    ...(claims.email ? { email: claims.email } : {}),
  };
  const token = await new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'at+jwt' })
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setSubject(claims.subject)
    .setIssuedAt(now)
    .setNotBefore(now - 5)
    .setExpirationTime(exp)
    .setJti(crypto.randomUUID())
    .sign(key.privateKey);
  return { token, expiresAt: new Date(exp * 1000) };
};

/** Verifies access tokens: RS256 only (no `none`, no HS/RS confusion), issuer, audience, expiry, known `kid`. */
export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

export const principalFromPayload = (payload: JWTPayload): Principal => {
  const tenantId = payload.org;
  const kind = payload.typ;
  if (typeof payload.sub !== 'string' || typeof tenantId !== 'string' || (kind !== 'user' && kind !== 'app')) {
    throw new DomainError('UNAUTHENTICATED', 'Token is missing required claims', { hint: 'Use an access token issued by signIn, refreshToken or issueAppToken.', rootCause: 'claims' });
  }
  const roles = strings(payload.roles).filter((r): r is Role => isOrgRole(r) || isPlatformRole(r) || r === 'PLATFORM_ADMIN');
  return {
    subject: payload.sub,
    kind,
    tenantId,
    roles,
    scopes: typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [],
    platformAdmin: payload.pa === true,
    ...(typeof payload.asg === 'string' ? { assignmentId: payload.asg } : {}),
    ...(typeof payload.email === 'string' ? { email: payload.email } : {}),
    expiresAt: typeof payload.exp === 'number' ? payload.exp : 0,
  };
};

const explain = (error: unknown): DomainError => {
  if (error instanceof DomainError) return error;
  if (error instanceof joseErrors.JWTExpired) return new DomainError('UNAUTHENTICATED', 'Access token expired', { hint: 'Get a new access token with the refreshToken mutation, or sign in again.', rootCause: 'token expired' });
  if (error instanceof joseErrors.JWTClaimValidationFailed) return new DomainError('UNAUTHENTICATED', `Access token rejected: ${error.claim} claim is not valid`, { hint: 'Use a token issued by this deployment (issuer and audience must match).', rootCause: `claim ${error.claim}` });
  if (error instanceof joseErrors.JWKSNoMatchingKey) return new DomainError('UNAUTHENTICATED', 'Access token signed with an unknown key', { hint: 'The key id (kid) is not in /.well-known/jwks.json. Sign in again.', rootCause: 'unknown kid' });
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return new DomainError('UNAUTHENTICATED', 'Access token uses a forbidden algorithm', { hint: 'Only RS256 tokens issued by this deployment are accepted.', rootCause: 'alg not allowed' });
  return new DomainError('UNAUTHENTICATED', 'Access token is not valid', { hint: 'Send a token from signIn as `Authorization: Bearer <token>`.', rootCause: 'invalid token' });
};

export const createTokenVerifier = (settings: TokenSettings, keys: { jwks: { keys: JWK[] } } | { jwksUrl: string }): TokenVerifier => {
  const getKey: JWTVerifyGetKey = 'jwks' in keys ? createLocalJWKSet(keys.jwks) : createRemoteJWKSet(new URL(keys.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 600_000 });
  const cache = new Map<string, Principal>();
  return {
    async verify(token) {
      const cached = cache.get(token);
      if (cached) {
        if (cached.expiresAt * 1000 > Date.now()) return cached;
        cache.delete(token);
      }
      try {
        const { payload } = await jwtVerify(token, getKey, { issuer: settings.issuer, audience: settings.audience, algorithms: ['RS256'], clockTolerance: 5 });
        const principal = principalFromPayload(payload);
        if (cache.size > 10_000) cache.clear();
        cache.set(token, principal);
        return principal;
      } catch (error) {
        throw explain(error);
      }
    },
  };
};

/** Reads `Authorization: Bearer <token>`; returns undefined when absent, throws when malformed. */
export const bearerToken = (header: string | string[] | undefined): string | undefined => {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const match = /^Bearer\s+([A-Za-z0-9\-_.]+)\s*$/i.exec(value);
  if (!match) throw new DomainError('UNAUTHENTICATED', 'Malformed Authorization header', { hint: 'Use `Authorization: Bearer <accessToken>`.', rootCause: 'authorization header' });
  return match[1];
};

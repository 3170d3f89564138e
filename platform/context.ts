import type { Logger } from './logger.ts';
import type { Principal } from './auth/tokens.ts';
import { DomainError, forbidden, unauthenticated } from './errors.ts';

declare const tenantBrand: unique symbol;

/**
 * The only way into tenant data. Every DocumentStore and GraphStore call takes one.
 * It is minted from a verified principal (`tenantScopeOf`) or, for system work such as event
 * consumers and provisioning, from a tenant id that itself came from a verified write (`systemScope`).
 */
export interface TenantScope {
  readonly tenantId: string;
  readonly [tenantBrand]: true;
}

const mint = (tenantId: string): TenantScope => {
  if (!tenantId || typeof tenantId !== 'string') throw new DomainError('INTERNAL_SERVER_ERROR', 'Tenant scope without tenant id');
  return Object.freeze({ tenantId }) as TenantScope;
};

export const tenantScopeOf = (principal: Principal): TenantScope => mint(principal.tenantId);

/**
 * Scope for work that is not a request: event consumers (the tenant is in the event envelope,
 * which was written under a verified scope), provisioning a new organization, bootstrap.
 * `reason` is kept for the audit trail and logs.
 */
export const systemScope = (tenantId: string, _reason: string): TenantScope => mint(tenantId);

/** The tenant of the platform itself: its admins, staff, directory of organizations. */
export const PLATFORM_TENANT_ID = 'platform';

/** What every resolver receives. Built once per request by the subgraph server. */
export interface RequestContext {
  principal: Principal | null;
  correlationId: string;
  traceparent?: string;
  logger: Logger;
  /** Per-request memo for DataLoaders and other request-scoped caches. */
  loaders: Map<string, unknown>;
}

/** The verified principal, or UNAUTHENTICATED. */
export const requirePrincipal = (ctx: RequestContext): Principal => {
  if (!ctx.principal) throw unauthenticated();
  return ctx.principal;
};

/** The caller's tenant scope, or UNAUTHENTICATED. */
export const requireScope = (ctx: RequestContext): TenantScope => tenantScopeOf(requirePrincipal(ctx));

/** Throws FORBIDDEN unless the principal holds every scope named. */
export const requireScopes = (ctx: RequestContext, ...scopes: string[]): Principal => {
  const principal = requirePrincipal(ctx);
  const missing = scopes.filter((s) => !principal.scopes.includes(s));
  if (missing.length) throw forbidden(`Missing scope: ${missing.join(', ')}`, `This needs ${missing.join(' and ')}; ask an organization Owner or Admin for the role that grants it.`);
  return principal;
};

/** A request-scoped memo: the same key returns the same instance for the whole request. */
export const perRequest = <T>(ctx: RequestContext, key: string, create: () => T): T => {
  let value = ctx.loaders.get(key) as T | undefined;
  if (value === undefined) {
    value = create();
    ctx.loaders.set(key, value);
  }
  return value;
};

/** Roles a member holds inside a client organization. */
export const ORG_ROLES = ['OWNER', 'ADMIN', 'MEMBER', 'VIEWER'] as const;
/** Roles of the platform's own staff; they act on a client only through an active assignment. */
export const PLATFORM_ROLES = ['SALES_AGENT', 'ONBOARDING_SPECIALIST', 'SUPPORT_SPECIALIST', 'SUCCESS_MANAGER', 'SALES_SPECIALIST'] as const;

export type OrgRole = (typeof ORG_ROLES)[number];
export type PlatformRole = (typeof PLATFORM_ROLES)[number];
export type Role = OrgRole | PlatformRole | 'PLATFORM_ADMIN';

export const isOrgRole = (value: string): value is OrgRole => (ORG_ROLES as readonly string[]).includes(value);
export const isPlatformRole = (value: string): value is PlatformRole => (PLATFORM_ROLES as readonly string[]).includes(value);

/**
 * Scopes granted by each role. `@requiresScopes` in the SDL names these.
 * - `org:read` read the organization's data; `org:write` change it;
 * - `org:admin` manage members, apps and settings; `platform:admin` provision organizations;
 * - `staff` marks platform staff acting through an assignment.
 */
export const SCOPES_BY_ROLE: Record<Role, readonly string[]> = {
  OWNER: ['org:read', 'org:write', 'org:admin'],
  ADMIN: ['org:read', 'org:write', 'org:admin'],
  MEMBER: ['org:read', 'org:write'],
  VIEWER: ['org:read'],
  SALES_AGENT: ['org:read', 'org:write', 'staff'],
  ONBOARDING_SPECIALIST: ['org:read', 'org:write', 'staff'],
  SUPPORT_SPECIALIST: ['org:read', 'org:write', 'staff'],
  SUCCESS_MANAGER: ['org:read', 'org:write', 'staff'],
  SALES_SPECIALIST: ['org:read', 'org:write', 'staff'],
  PLATFORM_ADMIN: ['org:read', 'org:write', 'org:admin', 'platform:admin'],
};

export const scopesForRoles = (roles: readonly Role[]): string[] => [...new Set(roles.flatMap((role) => SCOPES_BY_ROLE[role] ?? []))].sort();

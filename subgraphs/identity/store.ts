import { defineCollection, type Stored } from '../../platform/store/port.ts';
import type { OrgRole, PlatformRole, Role } from '../../platform/auth/roles.ts';

/** An organization as stored in its own tenant scope. */
export interface OrganizationDoc {
  name: string;
  slug: string;
  plan: 'FREE' | 'PRO' | 'ENTERPRISE';
  status: 'ACTIVE' | 'SUSPENDED';
  minGroupSize: number;
}

/** The platform's directory of organizations (platform scope): slug uniqueness and the admin list. */
export interface DirectoryEntryDoc extends OrganizationDoc {
  organizationId: string;
}

export interface UserDoc {
  email: string;
  name: string;
  roles: Role[];
  timeZone: string;
  locale: string;
  organizationId: string;
  /** Consented uses of the person's data (ConsentScope values). */
  consents?: string[];
}

export interface TeamDoc {
  name: string;
  managerId: string | null;
  memberIds: string[];
}

/** Sign-in index (platform scope): email → user, tenant and password hash. */
export interface CredentialDoc {
  email: string;
  userId: string;
  organizationId: string;
  passwordHash: string | null;
}

/** One refresh token of a rotation family (user's tenant scope). */
export interface RefreshTokenDoc {
  familyId: string;
  userId: string;
  secretHash: string;
  expiresAt: string;
  usedAt: string | null;
  revokedAt: string | null;
  /** Set on tokens issued by actAsOrganization: the staff member's home organization. */
  actingFor?: string | null;
}

export interface AppDoc {
  name: string;
  clientId: string;
  scopes: string[];
}

/** Client-credential index (platform scope): client id → app, tenant, secret hash. */
export interface AppCredentialDoc {
  clientId: string;
  appId: string;
  organizationId: string;
  secretHash: string;
  scopes: string[];
}

/** An assignment as the client organization sees it (client scope). */
export interface AssignmentDoc {
  organizationId: string;
  staffUserId: string;
  staffName: string;
  role: PlatformRole;
  active: boolean;
  startedAt: string;
  endedAt: string | null;
}

export const organizations = defineCollection<OrganizationDoc>('organizations');
export const directory = defineCollection<DirectoryEntryDoc>('org_directory', [{ fields: ['slug'], unique: true }]);
export const users = defineCollection<UserDoc>('users', [{ fields: ['email'], unique: true }]);
export const credentials = defineCollection<CredentialDoc>('credentials', [{ fields: ['email'], unique: true }]);
export const refreshTokens = defineCollection<RefreshTokenDoc>('refresh_tokens', [{ fields: ['familyId'] }]);
export const apps = defineCollection<AppDoc>('apps', [{ fields: ['clientId'], unique: true }]);
export const appCredentials = defineCollection<AppCredentialDoc>('app_credentials', [{ fields: ['clientId'], unique: true }]);
/** Client scope: the client's view. Platform scope: the staff member's view (same id). */
export const assignments = defineCollection<AssignmentDoc>('assignments', [{ fields: ['staffUserId'] }]);

export const teams = defineCollection<TeamDoc>('teams', [{ fields: ['name'], unique: true }]);

export type OrganizationModel = Stored<OrganizationDoc>;
export type UserModel = Stored<UserDoc>;
export type AppModel = Stored<AppDoc>;
export type AssignmentModel = Stored<AssignmentDoc>;
export type TeamModel = Stored<TeamDoc>;

export type { OrgRole };

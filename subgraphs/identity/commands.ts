import { issueAccessToken } from '../../platform/auth/tokens.ts';
import { scopesForRoles, type PlatformRole, type Role } from '../../platform/auth/roles.ts';
import { PLATFORM_TENANT_ID, requirePrincipal, requireScope, systemScope, type RequestContext, type TenantScope } from '../../platform/context.ts';
import { DomainError, inputError, notFound } from '../../platform/errors.ts';
import { newId, newSecret } from '../../platform/ids.ts';
import type { ProvenanceRecord } from '../../platform/provenance/provenance.ts';
import type { SubgraphDeps } from '../../platform/server.ts';
import type { Stored, Transaction } from '../../platform/store/port.ts';
import { clampFirst } from '../../platform/store/transaction.ts';
import { DUMMY_HASH_PROMISE, formatRefreshToken, hashPassword, hashSecret, newClientId, parseRefreshToken, secretsEqual, verifyPassword } from './domain/secrets.ts';
import { checkAppScopes, checkLocale, checkMinGroupSize, checkName, checkPassword, checkRoles, checkSlug, checkTimeZone, normalizeEmail, slugify } from './domain/validation.ts';
import {
  appCredentials,
  apps,
  assignments,
  credentials,
  directory,
  organizations,
  refreshTokens,
  users,
  type AppModel,
  type AssignmentModel,
  type OrganizationDoc,
  type OrganizationModel,
  type UserModel,
  teams,
  type TeamModel,
} from './store.ts';
import { digestOf } from '../../platform/provenance/canonical.ts';

export type IdentityDeps = SubgraphDeps;

const platformScope = (): TenantScope => systemScope(PLATFORM_TENANT_ID, 'platform directory');
const credentialId = (email: string): string => digestOf(email).slice(0, 40);
const ACT_AS_TTL_SECONDS = 15 * 60;

const human = (deps: IdentityDeps, ctx: { correlationId: string }, inputs: unknown, explanation: string): ProvenanceRecord =>
  deps.provenance.build({ method: 'HUMAN', inputs, explanation }, ctx.correlationId);
const system = (deps: IdentityDeps, ctx: { correlationId: string }, inputs: unknown, explanation: string): ProvenanceRecord =>
  deps.provenance.build({ method: 'SYSTEM', inputs, explanation }, ctx.correlationId);

const actorOf = (ctx: RequestContext): { id: string; kind: 'user' | 'app' | 'system' } => (ctx.principal ? { id: ctx.principal.subject, kind: ctx.principal.kind } : { id: 'anonymous', kind: 'system' });

export interface Session {
  accessToken: string;
  refreshToken: string;
  expiresAt: Date;
  user: UserModel;
  provenance: ProvenanceRecord;
}

/** Issues an access token and a new refresh token (in `familyId`, or a new family) inside `tx`. */
const issueSession = async (
  deps: IdentityDeps,
  ctx: RequestContext,
  tx: Transaction,
  user: UserModel,
  options: { tenantId: string; roles: Role[]; familyId?: string; assignmentId?: string; ttlSeconds?: number; actingFor?: string },
): Promise<Session> => {
  const tokenId = newId();
  const secret = newSecret();
  const platformAdmin = options.roles.includes('PLATFORM_ADMIN');
  const { token, expiresAt } = await issueAccessToken(deps.keyring.token, { issuer: deps.config.issuer, audience: deps.config.audience }, {
    subject: user.id,
    kind: 'user',
    tenantId: options.tenantId,
    roles: options.roles,
    scopes: scopesForRoles(options.roles),
    platformAdmin,
    email: user.email,
    ttlSeconds: options.ttlSeconds ?? deps.config.accessTokenTtlSeconds,
    ...(options.assignmentId ? { assignmentId: options.assignmentId } : {}),
  });
  const provenance = system(deps, ctx, { userId: user.id, tenantId: options.tenantId, tokenId }, 'Session issued after credential check');
  tx.insert(
    refreshTokens,
    {
      id: tokenId,
      familyId: options.familyId ?? newId(),
      userId: user.id,
      secretHash: hashSecret(secret),
      expiresAt: new Date(Date.now() + deps.config.refreshTokenTtlSeconds * 1000).toISOString(),
      usedAt: null,
      revokedAt: null,
      actingFor: options.actingFor ?? null,
    },
    provenance,
  );
  return { accessToken: token, refreshToken: formatRefreshToken(options.tenantId, tokenId, secret), expiresAt, user, provenance };
};

const invalidCredentials = (): DomainError =>
  new DomainError('INVALID_CREDENTIALS', 'Email or password is wrong', { hint: 'Check the email and password. After several failures, wait a minute before retrying.', rootCause: 'credentials' });

export const signIn = async (deps: IdentityDeps, ctx: RequestContext, input: { email: string; password: string }): Promise<Session> => {
  const email = normalizeEmail(input.email);
  const credential = await deps.store.collection(credentials).get(platformScope(), credentialId(email));
  if (!credential || !credential.passwordHash) {
    await verifyPassword(input.password, await DUMMY_HASH_PROMISE);
    throw invalidCredentials();
  }
  if (!(await verifyPassword(input.password, credential.passwordHash))) throw invalidCredentials();
  const scope = systemScope(credential.organizationId, 'sign-in after password check');
  const user = await deps.store.collection(users).get(scope, credential.userId);
  const org = await deps.store.collection(organizations).get(scope, credential.organizationId);
  if (!user || !org) throw invalidCredentials();
  if (org.status !== 'ACTIVE') throw new DomainError('FORBIDDEN', 'This organization is suspended', { hint: 'Contact your platform administrator.' });
  return deps.store.transaction(scope, { action: 'identity.signIn', actor: { id: user.id, kind: 'user' }, correlationId: ctx.correlationId }, (tx) =>
    issueSession(deps, ctx, tx, user, { tenantId: scope.tenantId, roles: user.roles }),
  );
};

export const refreshSession = async (deps: IdentityDeps, ctx: RequestContext, input: { refreshToken: string }): Promise<Session> => {
  const parsed = parseRefreshToken(input.refreshToken);
  const invalid = new DomainError('UNAUTHENTICATED', 'Refresh token is not valid', { hint: 'Sign in again with email and password.', rootCause: 'refresh token' });
  if (!parsed) throw invalid;
  const scope = systemScope(parsed.tenantId, 'refresh token lookup');
  const stored = await deps.store.collection(refreshTokens).get(scope, parsed.tokenId);
  if (!stored || !secretsEqual(stored.secretHash, hashSecret(parsed.secret))) throw invalid;
  if (stored.revokedAt || Date.parse(stored.expiresAt) < Date.now()) throw invalid;
  if (stored.usedAt) {
    // Reuse of a spent token: someone else holds a copy. Revoke the whole family.
    const family = await deps.store.collection(refreshTokens).find(scope, { familyId: stored.familyId });
    await deps.store.transaction(scope, { action: 'identity.refreshTokenReuse', actor: { id: stored.userId, kind: 'user' }, correlationId: ctx.correlationId }, (tx) => {
      const at = new Date().toISOString();
      for (const token of family) if (!token.revokedAt) tx.update(refreshTokens, token, { revokedAt: at });
      tx.emit({ type: 'auth.refresh_token_reused', topic: 'auth_events', subject: { typename: 'User', id: stored.userId }, payload: { familyId: stored.familyId } }, system(deps, ctx, { familyId: stored.familyId }, 'Refresh token reuse detected; family revoked'));
    });
    throw new DomainError('TOKEN_REUSED', 'Refresh token was already used; all sessions of this sign-in were revoked', { hint: 'Sign in again. If you did not reuse the token, someone may have copied it.' });
  }
  const user = await deps.store.collection(users).get(systemScope(stored.actingFor ?? parsed.tenantId, 'refresh user lookup'), stored.userId);
  if (!user) throw invalid;
  if (stored.actingFor) throw new DomainError('UNAUTHENTICATED', 'Acting-as sessions cannot be refreshed', { hint: 'Call actAsOrganization again; it re-checks the assignment.' });
  return deps.store.transaction(scope, { action: 'identity.refreshToken', actor: { id: user.id, kind: 'user' }, correlationId: ctx.correlationId }, (tx) => {
    tx.update(refreshTokens, stored, { usedAt: new Date().toISOString() });
    return issueSession(deps, ctx, tx, user, { tenantId: parsed.tenantId, roles: user.roles, familyId: stored.familyId });
  });
};

/** First start: the platform organization and its admin from MESH_ADMIN_EMAIL / MESH_ADMIN_PASSWORD. */
export const bootstrap = async (deps: IdentityDeps): Promise<{ created: boolean; email: string }> => {
  const scope = platformScope();
  const email = normalizeEmail(deps.config.adminEmail, 'MESH_ADMIN_EMAIL');
  const ctx = { correlationId: 'bootstrap' };
  const existingOrg = await deps.store.collection(organizations).get(scope, PLATFORM_TENANT_ID);
  const existingCredential = await deps.store.collection(credentials).get(scope, credentialId(email));
  if (existingOrg && existingCredential) return { created: false, email };
  const passwordHash = await hashPassword(deps.config.adminPassword);
  await deps.store.transaction(scope, { action: 'identity.bootstrap', actor: { id: 'bootstrap', kind: 'system' }, correlationId: ctx.correlationId }, (tx) => {
    const provenance = system(deps, ctx, { email }, 'Bootstrap of the platform organization and admin');
    if (!existingOrg) {
      tx.insert(organizations, { id: PLATFORM_TENANT_ID, name: 'Platform', slug: 'platform', plan: 'ENTERPRISE', status: 'ACTIVE', minGroupSize: 5 }, provenance);
    }
    const user = tx.insert(users, { email, name: 'Platform Admin', roles: ['PLATFORM_ADMIN'], timeZone: 'UTC', locale: 'en-US', organizationId: PLATFORM_TENANT_ID }, provenance);
    tx.insert(credentials, { id: credentialId(email), email, userId: user.id, organizationId: PLATFORM_TENANT_ID, passwordHash }, provenance);
  });
  return { created: true, email };
};

export const createOrganization = async (deps: IdentityDeps, ctx: RequestContext, input: { name: string; slug?: string | null; plan?: OrganizationDoc['plan'] | null; minGroupSize?: number | null }): Promise<OrganizationModel> => {
  requirePrincipal(ctx);
  const name = checkName(input.name, 'input.name', 2, 120);
  const slug = checkSlug(input.slug ?? slugify(name));
  const doc: OrganizationDoc = { name, slug, plan: input.plan ?? 'FREE', status: 'ACTIVE', minGroupSize: checkMinGroupSize(input.minGroupSize) };
  const id = newId();
  const provenance = human(deps, ctx, doc, 'Created by a platform admin');
  // The directory entry first: it enforces slug uniqueness. The organization record follows in its own scope.
  await deps.store.transaction(platformScope(), { action: 'identity.createOrganization', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => {
    tx.insert(directory, { id, organizationId: id, ...doc }, provenance);
  });
  return deps.store.transaction(systemScope(id, 'provisioning a new organization'), { action: 'identity.createOrganization', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => {
    const org = tx.insert(organizations, { id, ...doc }, provenance);
    tx.emit({ type: 'org.created', topic: 'org_events', subject: { typename: 'Organization', id }, payload: { name, slug, plan: doc.plan } }, provenance);
    return org;
  });
};

export const createUser = async (
  deps: IdentityDeps,
  ctx: RequestContext,
  input: { organizationId: string; email: string; name: string; roles: readonly string[]; password?: string | null; timeZone?: string | null; locale?: string | null },
): Promise<UserModel> => {
  const principal = requirePrincipal(ctx);
  // The tenant comes from the token: an org admin can only create users in their own organization.
  if (input.organizationId !== principal.tenantId && !principal.platformAdmin) throw notFound('Organization');
  const scope = input.organizationId === principal.tenantId ? requireScope(ctx) : systemScope(input.organizationId, 'platform admin provisioning');
  const org = await deps.store.collection(organizations).get(scope, input.organizationId);
  if (!org) throw notFound('Organization');
  const platformOrg = input.organizationId === PLATFORM_TENANT_ID;
  if (platformOrg && !principal.platformAdmin) throw new DomainError('FORBIDDEN', 'Only platform admins create platform users', { hint: 'Ask a platform admin.' });
  const roles = checkRoles(input.roles, platformOrg);
  if (roles.includes('OWNER') && !principal.roles.includes('OWNER') && !principal.platformAdmin) {
    throw new DomainError('FORBIDDEN', 'Only an Owner can create another Owner', { hint: 'Create the user as ADMIN, or ask an Owner.', field: 'input.roles' });
  }
  const email = normalizeEmail(input.email);
  const doc = {
    email,
    name: checkName(input.name, 'input.name'),
    roles,
    timeZone: checkTimeZone(input.timeZone),
    locale: checkLocale(input.locale),
    organizationId: input.organizationId,
  };
  const passwordHash = input.password ? await hashPassword(checkPassword(input.password)) : null;
  const userId = newId();
  const provenance = human(deps, ctx, doc, 'Created by an organization admin');
  // Email is unique across the platform: claim it in the sign-in index first; undo the claim if the user write fails.
  const claim = await deps.store.transaction(platformScope(), { action: 'identity.createUser', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) =>
    tx.insert(credentials, { id: credentialId(email), email, userId, organizationId: input.organizationId, passwordHash }, provenance),
  ).catch((error: unknown) => {
    if (error instanceof DomainError && error.code === 'ALREADY_EXISTS') throw new DomainError('ALREADY_EXISTS', 'A user with this email already exists', { field: 'input.email', hint: 'Use another email address.' });
    throw error;
  });
  try {
    return await deps.store.transaction(scope, { action: 'identity.createUser', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => {
      const user = tx.insert(users, { id: userId, ...doc }, provenance);
      tx.emit({ type: 'user.created', topic: 'client_events', subject: { typename: 'User', id: user.id }, payload: { roles, organizationId: input.organizationId } }, provenance);
      return user;
    });
  } catch (error) {
    await deps.store.transaction(platformScope(), { action: 'identity.createUser.undo', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => tx.remove(credentials, claim));
    throw error;
  }
};

export const registerApp = async (deps: IdentityDeps, ctx: RequestContext, input: { name: string; scopes: readonly string[] }): Promise<{ app: AppModel; clientSecret: string; provenance: ProvenanceRecord }> => {
  const scope = requireScope(ctx);
  const name = checkName(input.name, 'input.name', 2, 120);
  const scopes = checkAppScopes(input.scopes);
  const clientId = newClientId();
  const clientSecret = newSecret();
  const appId = newId();
  const provenance = human(deps, ctx, { name, scopes, clientId }, 'App registered by an organization admin');
  await deps.store.transaction(platformScope(), { action: 'identity.registerApp', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => {
    tx.insert(appCredentials, { id: clientId, clientId, appId, organizationId: scope.tenantId, secretHash: hashSecret(clientSecret), scopes }, provenance);
  });
  const app = await deps.store.transaction(scope, { action: 'identity.registerApp', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => tx.insert(apps, { id: appId, name, clientId, scopes }, provenance));
  return { app, clientSecret, provenance };
};

export const issueAppToken = async (deps: IdentityDeps, ctx: RequestContext, input: { clientId: string; clientSecret: string }): Promise<{ accessToken: string; expiresAt: Date; provenance: ProvenanceRecord }> => {
  const credential = input.clientId.length < 200 ? await deps.store.collection(appCredentials).get(platformScope(), input.clientId) : null;
  if (!credential || !secretsEqual(credential.secretHash, hashSecret(input.clientSecret))) {
    throw new DomainError('INVALID_CREDENTIALS', 'Client id or secret is wrong', { hint: 'Use the clientId and clientSecret returned by registerApp.' });
  }
  const { token, expiresAt } = await issueAccessToken(deps.keyring.token, { issuer: deps.config.issuer, audience: deps.config.audience }, {
    subject: credential.appId,
    kind: 'app',
    tenantId: credential.organizationId,
    roles: [],
    scopes: credential.scopes,
    ttlSeconds: deps.config.accessTokenTtlSeconds,
  });
  return { accessToken: token, expiresAt, provenance: system(deps, ctx, { clientId: input.clientId }, 'Client-credentials token issued') };
};

export const assignStaff = async (deps: IdentityDeps, ctx: RequestContext, input: { organizationId: string; staffUserId: string; role: PlatformRole }): Promise<AssignmentModel> => {
  const clientScope = systemScope(input.organizationId, 'platform admin assigns staff');
  const [org, staff] = await Promise.all([deps.store.collection(organizations).get(clientScope, input.organizationId), deps.store.collection(users).get(platformScope(), input.staffUserId)]);
  if (!org || input.organizationId === PLATFORM_TENANT_ID) throw notFound('Organization');
  if (!staff) throw inputError('input.staffUserId', 'No platform staff member with this id', 'Use the id of a user of the platform organization.');
  if (!staff.roles.includes(input.role)) throw inputError('input.role', `The staff member does not hold the role ${input.role}`, `Their roles: ${staff.roles.join(', ')}.`);
  const doc = { organizationId: input.organizationId, staffUserId: staff.id, staffName: staff.name, role: input.role, active: true, startedAt: new Date().toISOString(), endedAt: null };
  const id = newId();
  const provenance = human(deps, ctx, doc, 'Assigned by a platform admin');
  await deps.store.transaction(platformScope(), { action: 'identity.assignStaff', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => tx.insert(assignments, { id, ...doc }, provenance));
  return deps.store.transaction(clientScope, { action: 'identity.assignStaff', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => {
    const assignment = tx.insert(assignments, { id, ...doc }, provenance);
    tx.emit({ type: 'agent.assigned', topic: 'agent_events', subject: { typename: 'Assignment', id }, payload: { role: input.role, staffUserId: staff.id } }, provenance);
    return assignment;
  });
};

export const endAssignment = async (deps: IdentityDeps, ctx: RequestContext, input: { id: string; organizationId: string }): Promise<AssignmentModel> => {
  const clientScope = systemScope(input.organizationId, 'platform admin ends assignment');
  const [clientSide, staffSide] = await Promise.all([deps.store.collection(assignments).get(clientScope, input.id), deps.store.collection(assignments).get(platformScope(), input.id)]);
  if (!clientSide || !staffSide) throw notFound('Assignment');
  if (!clientSide.active) return clientSide;
  const patch = { active: false, endedAt: new Date().toISOString() };
  const provenance = human(deps, ctx, { id: input.id, ...patch }, 'Ended by a platform admin');
  await deps.store.transaction(platformScope(), { action: 'identity.endAssignment', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => tx.update(assignments, staffSide, patch, provenance));
  return deps.store.transaction(clientScope, { action: 'identity.endAssignment', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => {
    const ended = tx.update(assignments, clientSide, patch, provenance);
    tx.emit({ type: 'agent.unassigned', topic: 'agent_events', subject: { typename: 'Assignment', id: input.id }, payload: { staffUserId: clientSide.staffUserId } }, provenance);
    return ended;
  });
};

export const actAsOrganization = async (deps: IdentityDeps, ctx: RequestContext, organizationId: string): Promise<Session> => {
  const principal = requirePrincipal(ctx);
  if (principal.tenantId !== PLATFORM_TENANT_ID || principal.assignmentId) throw new DomainError('FORBIDDEN', 'Only platform staff signed in to the platform can act for a client', { hint: 'Sign in with your platform account.' });
  const mine = await deps.store.collection(assignments).find(platformScope(), { staffUserId: principal.subject, organizationId, active: true });
  // No active assignment looks exactly like an unknown organization: no existence leak.
  if (!mine.length) throw notFound('Organization');
  const staff = await deps.store.collection(users).get(platformScope(), principal.subject);
  if (!staff) throw notFound('User');
  const roles = [...new Set(mine.map((a) => a.role))];
  const clientScope = systemScope(organizationId, 'staff acting through an assignment');
  return deps.store.transaction(clientScope, { action: 'identity.actAsOrganization', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) =>
    issueSession(deps, ctx, tx, staff, { tenantId: organizationId, roles, assignmentId: mine[0].id, ttlSeconds: ACT_AS_TTL_SECONDS, actingFor: PLATFORM_TENANT_ID }),
  );
};

export const connectionOf = <T extends { id: string }>(page: { items: T[]; cursors: string[]; hasNextPage: boolean; endCursor: string | null }) => ({
  edges: page.items.map((node, i) => ({ cursor: page.cursors[i], node })),
  pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
});

export const listUsers = async (deps: IdentityDeps, ctx: RequestContext, args: { first?: number | null; after?: string | null }) => {
  const scope = requireScope(ctx);
  const reader = deps.store.collection(users);
  const [page, totalCount] = await Promise.all([reader.page(scope, {}, { first: clampFirst(args.first), after: args.after }), reader.count(scope)]);
  return { ...connectionOf(page), totalCount };
};

export const listDirectory = async (deps: IdentityDeps, _ctx: RequestContext, args: { first?: number | null; after?: string | null }) => {
  const page = await deps.store.collection(directory).page(platformScope(), {}, { first: clampFirst(args.first), after: args.after });
  return connectionOf({ ...page, items: page.items.map((entry): OrganizationModel => ({ ...entry, id: entry.organizationId })) });
};

/** The platform directory's view of one organization (platform admins only). */
export const directoryEntry = async (deps: IdentityDeps, organizationId: string): Promise<OrganizationModel | null> => {
  const entry = await deps.store.collection(directory).get(platformScope(), organizationId);
  return entry ? { ...entry, id: entry.organizationId } : null;
};

export const assignmentsForOrganization = (deps: IdentityDeps, ctx: RequestContext): Promise<AssignmentModel[]> =>
  deps.store.collection(assignments).find(requireScope(ctx), { active: true }, { sort: { field: 'startedAt', direction: -1 } });

/** A staff member's own assignments (platform scope); others see none. */
export const assignmentsForUser = async (deps: IdentityDeps, ctx: RequestContext, user: Stored<{ organizationId: string }>): Promise<AssignmentModel[]> => {
  const principal = requirePrincipal(ctx);
  if (user.organizationId !== PLATFORM_TENANT_ID) return [];
  if (principal.tenantId === PLATFORM_TENANT_ID && (principal.subject === user.id || principal.platformAdmin)) {
    return deps.store.collection(assignments).find(platformScope(), { staffUserId: user.id }, { sort: { field: 'startedAt', direction: -1 } });
  }
  // Inside a client organization, only this client's assignments of that staff member are visible.
  return deps.store.collection(assignments).find(requireScope(ctx), { staffUserId: user.id }, { sort: { field: 'startedAt', direction: -1 } });
};

export const CONSENT_SCOPES = ['IMPACT_TRACKING', 'PASSION_ANALYSIS', 'ENRICHMENT', 'PULSE'] as const;

export const createTeam = async (deps: IdentityDeps, ctx: RequestContext, input: { name: string; managerId?: string | null; memberIds: readonly string[] }): Promise<TeamModel> => {
  const scope = requireScope(ctx);
  const name = checkName(input.name, 'input.name');
  const memberIds = [...new Set(input.memberIds)];
  const wanted = [...new Set([...memberIds, ...(input.managerId ? [input.managerId] : [])])];
  const found = await deps.store.collection(users).getMany(scope, wanted);
  const missing = wanted.filter((_, i) => !found[i]);
  if (missing.length) throw inputError(input.managerId && missing.includes(input.managerId) ? 'input.managerId' : 'input.memberIds', `Unknown users: ${missing.join(', ')}`, 'Use ids of users of your organization (query users).');
  const doc = { name, managerId: input.managerId ?? null, memberIds };
  const provenance = human(deps, ctx, doc, 'Team created by an organization admin');
  return deps.store.transaction(scope, { action: 'identity.createTeam', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => {
    const team = tx.insert(teams, doc, provenance);
    tx.emit({ type: 'team.created', topic: 'org_events', subject: { typename: 'Team', id: team.id }, payload: { name, managerId: doc.managerId, memberIds, memberCount: memberIds.length } }, provenance);
    return team;
  });
};

/**
 * Renames a team, changes its manager or replaces its members; `team.updated` carries the whole new
 * state (name, manager, members) so mirrors (impact's pulse teams) follow without reading identity.
 */
export const updateTeam = async (deps: IdentityDeps, ctx: RequestContext, id: string, input: { name?: string | null; managerId?: string | null; memberIds?: readonly string[] | null }): Promise<TeamModel> => {
  const scope = requireScope(ctx);
  const team = await deps.store.collection(teams).get(scope, id);
  if (!team) throw notFound('Team');
  if (input.name === null) throw inputError('input.name', 'name cannot be null', 'Leave name out to keep it, or give a new name.');
  if (input.memberIds === null) throw inputError('input.memberIds', 'memberIds cannot be null', 'Leave memberIds out to keep the members, or give the complete new list ([] for none).');
  const name = input.name === undefined ? team.name : checkName(input.name, 'input.name');
  const managerId = input.managerId === undefined ? team.managerId : input.managerId;
  const memberIds = input.memberIds === undefined ? team.memberIds : [...new Set(input.memberIds)];
  const wanted = [...new Set([...memberIds, ...(managerId ? [managerId] : [])])];
  const found = await deps.store.collection(users).getMany(scope, wanted);
  const missing = wanted.filter((_, i) => !found[i]);
  if (missing.length) throw inputError(managerId && missing.includes(managerId) ? 'input.managerId' : 'input.memberIds', `Unknown users: ${missing.join(', ')}`, 'Use ids of users of your organization (query users).');
  const patch = { name, managerId, memberIds };
  const provenance = human(deps, ctx, { teamId: id, ...patch }, 'Team changed by an organization admin');
  return deps.store.transaction(scope, { action: 'identity.updateTeam', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => {
    const updated = tx.update(teams, team, patch, provenance);
    tx.emit({ type: 'team.updated', topic: 'org_events', subject: { typename: 'Team', id }, payload: { name, managerId, memberIds, memberCount: memberIds.length } }, provenance);
    return updated;
  });
};

export const setMyConsents = async (deps: IdentityDeps, ctx: RequestContext, scopes: readonly string[]): Promise<UserModel> => {
  const principal = requirePrincipal(ctx);
  const scope = requireScope(ctx);
  const user = principal.kind === 'user' ? await deps.store.collection(users).get(scope, principal.subject) : null;
  if (!user) throw notFound('User');
  const consents = [...new Set(scopes)].filter((s) => (CONSENT_SCOPES as readonly string[]).includes(s)).sort();
  const provenance = human(deps, ctx, { userId: user.id, consents }, 'Consent set by the person');
  return deps.store.transaction(scope, { action: 'identity.setMyConsents', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => {
    const updated = tx.update(users, user, { consents }, provenance);
    tx.emit({ type: 'user.consent_changed', topic: 'client_events', subject: { typename: 'User', id: user.id }, payload: { consents, withdrawn: (user.consents ?? []).filter((c) => !consents.includes(c)) } }, provenance);
    return updated;
  });
};

import { PLATFORM_TENANT_ID, requirePrincipal, requireScope, systemScope } from '../../platform/context.ts';
import { notFound } from '../../platform/errors.ts';
import { loaderOf } from '../../platform/store/loader.ts';
import type { Resolvers } from './__generated__/resolvers-types.ts';
import {
  actAsOrganization,
  assignStaff,
  assignmentsForOrganization,
  assignmentsForUser,
  createOrganization,
  createUser,
  endAssignment,
  issueAppToken,
  listDirectory,
  directoryEntry,
  listUsers,
  refreshSession,
  registerApp,
  signIn,
  createTeam,
  updateTeam,
  setMyConsents,
  type IdentityDeps,
  type Session,
} from './commands.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { UserModel } from './store.ts';
import { apps, assignments, organizations, teams, users } from './store.ts';

/** After a sign-in the rest of the request (the payload's user and organization) resolves as that user. */
const actAs = async (deps: IdentityDeps, ctx: RequestContext, session: Session): Promise<Session> => {
  ctx.principal = await deps.verifier.verify(session.accessToken);
  return session;
};

/** Thin resolvers: argument mapping and authorization; the work is in commands.ts and domain/. */
export const createResolvers = (deps: IdentityDeps): Resolvers => ({
  Query: {
    me: async (_root, _args, ctx) => {
      const principal = requirePrincipal(ctx);
      if (principal.kind !== 'user') return null;
      // Platform staff acting for a client keep their own record in the platform organization.
      if (principal.assignmentId) return deps.store.collection(users).get(systemScope(PLATFORM_TENANT_ID, 'acting staff reads own record'), principal.subject);
      return loaderOf(ctx, deps.store, users).load(principal.subject);
    },
    organization: (_root, _args, ctx) => loaderOf(ctx, deps.store, organizations).load(requireScope(ctx).tenantId),
    user: (_root, args, ctx) => loaderOf(ctx, deps.store, users).load(args.id),
    users: (_root, args, ctx) => listUsers(deps, ctx, args),
    organizations: (_root, args, ctx) => listDirectory(deps, ctx, args),
    teams: (_root, _args, ctx) => deps.store.collection(teams).find(requireScope(ctx), {}, { sort: { field: 'name', direction: 1 } }),
    team: (_root, args, ctx) => loaderOf(ctx, deps.store, teams).load(args.id),
    apps: (_root, _args, ctx) => deps.store.collection(apps).find(requireScope(ctx), {}, { sort: { field: 'createdAt', direction: -1 } }),
  },
  Mutation: {
    signIn: async (_root, { input }, ctx) => actAs(deps, ctx, await signIn(deps, ctx, input)),
    refreshToken: async (_root, { input }, ctx) => actAs(deps, ctx, await refreshSession(deps, ctx, input)),
    createOrganization: (_root, { input }, ctx) => createOrganization(deps, ctx, input),
    createUser: (_root, { input }, ctx) => createUser(deps, ctx, input),
    registerApp: (_root, { input }, ctx) => registerApp(deps, ctx, input),
    issueAppToken: (_root, { input }, ctx) => issueAppToken(deps, ctx, input),
    assignStaff: (_root, { input }, ctx) => assignStaff(deps, ctx, input),
    endAssignment: (_root, args, ctx) => endAssignment(deps, ctx, args),
    actAsOrganization: async (_root, args, ctx) => actAs(deps, ctx, await actAsOrganization(deps, ctx, args.organizationId)),
    createTeam: (_root, { input }, ctx) => createTeam(deps, ctx, input),
    updateTeam: (_root, { id, input }, ctx) => updateTeam(deps, ctx, id, input),
    setMyConsents: (_root, args, ctx) => setMyConsents(deps, ctx, args.scopes),
  },
  Organization: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, organizations).load(ref.id as string),
    // Members and assignments are read in the caller's tenant, so only for the caller's own organization.
    members: (org, args, ctx) => (org.id === requireScope(ctx).tenantId ? listUsers(deps, ctx, args) : Promise.reject(notFound('Organization'))),
    assignments: (org, _args, ctx) => (org.id === requireScope(ctx).tenantId ? assignmentsForOrganization(deps, ctx) : Promise.reject(notFound('Organization'))),
  },
  User: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, users).load(ref.id as string),
    organization: async (user, _args, ctx) => {
      const principal = requirePrincipal(ctx);
      if (user.organizationId === principal.tenantId) {
        const org = await loaderOf(ctx, deps.store, organizations).load(user.organizationId);
        if (org) return org;
      } else if (principal.platformAdmin) {
        // A platform admin provisioning another organization sees its directory entry, never its data.
        const entry = await directoryEntry(deps, user.organizationId);
        if (entry) return entry;
      }
      throw notFound('Organization');
    },
    assignments: (user, _args, ctx) => assignmentsForUser(deps, ctx, user),
    consents: (user) => (user.consents ?? []) as Array<'IMPACT_TRACKING' | 'PASSION_ANALYSIS' | 'ENRICHMENT' | 'PULSE'>,
    teams: async (user, _args, ctx) => (await deps.store.collection(teams).find(requireScope(ctx), { memberIds: user.id })),
  },
  Team: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, teams).load(ref.id as string),
    manager: (team, _args, ctx) => (team.managerId ? loaderOf(ctx, deps.store, users).load(team.managerId) : null),
    members: async (team, _args, ctx) => (await loaderOf(ctx, deps.store, users).loadMany(team.memberIds)).filter((u): u is UserModel => u !== null && !(u instanceof Error)),
    memberCount: (team) => team.memberIds.length,
  },
  Assignment: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, assignments).load(ref.id as string),
  },
  App: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, apps).load(ref.id as string),
  },
});

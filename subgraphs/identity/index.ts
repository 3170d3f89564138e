import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { loadSchema, type SubgraphDefinition } from '../../platform/server.ts';
import { sendJson } from '../../platform/http.ts';
import type { RequestContext } from '../../platform/context.ts';
import { bootstrap, type IdentityDeps } from './commands.ts';
import { createResolvers } from './resolvers.ts';

export const IDENTITY = 'identity';

/** The identity subgraph: organizations, users, roles, sessions, apps, staff assignments. No side effects until start(). */
export const createIdentitySubgraph = (deps: IdentityDeps): SubgraphDefinition & { bootstrap(): ReturnType<typeof bootstrap> } => ({
  name: IDENTITY,
  typeDefs: loadSchema(import.meta.url),
  resolvers: createResolvers(deps) as GraphQLResolverMap<RequestContext>,
  bootstrap: () => bootstrap(deps),
  async start() {
    const result = await bootstrap(deps);
    if (result.created) deps.logger.info({ email: result.email }, 'bootstrapped the platform admin');
  },
  routes: {
    '/.well-known/jwks.json': (_req, res) => sendJson(res, 200, deps.keyring.jwks, { 'cache-control': 'public, max-age=300' }),
  },
});

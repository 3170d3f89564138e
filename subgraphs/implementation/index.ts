import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import type { RequestContext } from '../../platform/context.ts';
import { loadSchema, type SubgraphDefinition, type SubgraphDeps } from '../../platform/server.ts';
import { createResolvers } from './resolvers.ts';

export const IMPLEMENTATION = 'implementation';

/** The implementation subgraph: conversational PRDs, versioned bot configurations and deployments. No side effects. */
export const createImplementationSubgraph = (deps: SubgraphDeps): SubgraphDefinition => ({
  name: IMPLEMENTATION,
  typeDefs: loadSchema(import.meta.url),
  resolvers: createResolvers(deps) as GraphQLResolverMap<RequestContext>,
});

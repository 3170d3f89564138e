import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import type { RequestContext } from '../../platform/context.ts';
import { consumeOnce } from '../../platform/events/consume.ts';
import type { BusSubscription } from '../../platform/events/port.ts';
import { loadSchema, type SubgraphDefinition, type SubgraphDeps } from '../../platform/server.ts';
import { createResolvers } from './resolvers.ts';
import { applyRollbackRequest, ROLLBACK_CONSUMER } from './rollback.ts';

export const IMPLEMENTATION = 'implementation';

/**
 * The implementation subgraph: conversational PRDs, versioned bot configurations and deployments.
 * No side effects until start(), which subscribes to monitoring's automatic rollback requests.
 */
export const createImplementationSubgraph = (deps: SubgraphDeps): SubgraphDefinition => {
  let rollbacks: BusSubscription | null = null;
  return {
    name: IMPLEMENTATION,
    typeDefs: loadSchema(import.meta.url),
    resolvers: createResolvers(deps) as GraphQLResolverMap<RequestContext>,
    async start() {
      rollbacks = await consumeOnce(deps.bus, deps.store, { logger: deps.logger, consumer: ROLLBACK_CONSUMER, topics: ['monitoring_incidents'], types: ['monitoring.rollback.requested'], fromBeginning: true }, (event, tx) => applyRollbackRequest(deps, event, tx));
    },
    async stop() {
      await rollbacks?.close();
      rollbacks = null;
    },
  };
};

import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import type { RequestContext } from '../../platform/context.ts';
import type { BusSubscription } from '../../platform/events/port.ts';
import { loadSchema, type SubgraphDefinition, type SubgraphDeps } from '../../platform/server.ts';
import { startConsumers } from './consumers.ts';
import { createResolvers } from './resolvers.ts';

export const IMPACT = 'impact';

/** The impact & culture subgraph: impact measurement, solution virality, psychological safety pulses and alerts. No side effects until start(). */
export const createImpactSubgraph = (deps: SubgraphDeps): SubgraphDefinition => {
  let subscriptions: BusSubscription[] = [];
  return {
    name: IMPACT,
    typeDefs: loadSchema(import.meta.url),
    resolvers: createResolvers(deps) as GraphQLResolverMap<RequestContext>,
    async start() {
      subscriptions = await startConsumers(deps);
    },
    async stop() {
      await Promise.all(subscriptions.map((s) => s.close()));
      subscriptions = [];
    },
  };
};

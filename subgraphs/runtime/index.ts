import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import type { RequestContext } from '../../platform/context.ts';
import { systemScope } from '../../platform/context.ts';
import { consumeOnce } from '../../platform/events/consume.ts';
import type { BusSubscription } from '../../platform/events/port.ts';
import { loadSchema, type SubgraphDefinition, type SubgraphDeps } from '../../platform/server.ts';
import { applyConfigDeployed } from './commands.ts';
import { createResolvers } from './resolvers.ts';

export const RUNTIME = 'runtime';

/** The runtime subgraph: knowledge base (RAG), chat and voice conversations, cross-product handoffs. No side effects until start(). */
export const createRuntimeSubgraph = (deps: SubgraphDeps): SubgraphDefinition => {
  const subscriptions: BusSubscription[] = [];
  return {
    name: RUNTIME,
    typeDefs: loadSchema(import.meta.url),
    resolvers: createResolvers(deps) as GraphQLResolverMap<RequestContext>,
    async start() {
      subscriptions.push(
        await consumeOnce(deps.bus, deps.store, { logger: deps.logger, consumer: 'runtime.config-deployed', topics: ['config_events'], types: ['config.deployed'], fromBeginning: true }, (event, tx) =>
          applyConfigDeployed(deps, event, tx, systemScope(event.tenantId, 'config.deployed consumer')),
        ),
      );
    },
    async stop() {
      await Promise.all(subscriptions.splice(0).map((s) => s.close()));
    },
  };
};

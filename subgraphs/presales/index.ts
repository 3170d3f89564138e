import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import type { RequestContext } from '../../platform/context.ts';
import { consumeOnce } from '../../platform/events/consume.ts';
import type { BusSubscription } from '../../platform/events/port.ts';
import { loadSchema, type SubgraphDefinition } from '../../platform/server.ts';
import { provisionSubscriptionForOrganization, type PresalesDeps } from './commands.ts';
import { createResolvers } from './resolvers.ts';

export const PRESALES = 'presales';

/**
 * The presales subgraph: prospects, research, demos, sales documents with e-signature tracking, billing.
 * No side effects until start(), which subscribes the org.created consumer (subscription provisioning).
 */
export const createPresalesSubgraph = (deps: PresalesDeps): SubgraphDefinition => {
  const subscriptions: BusSubscription[] = [];
  return {
    name: PRESALES,
    typeDefs: loadSchema(import.meta.url),
    resolvers: createResolvers(deps) as GraphQLResolverMap<RequestContext>,
    async start() {
      subscriptions.push(
        await consumeOnce(deps.bus, deps.store, { logger: deps.logger, consumer: 'presales.org-subscription', topics: ['org_events'], types: ['org.created'] }, (event, tx) => provisionSubscriptionForOrganization(deps, event, tx)),
      );
    },
    async stop() {
      await Promise.all(subscriptions.splice(0).map((s) => s.close()));
    },
  };
};

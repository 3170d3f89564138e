import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import type { RequestContext } from '../../platform/context.ts';
import { consumeOnce } from '../../platform/events/consume.ts';
import type { BusSubscription } from '../../platform/events/port.ts';
import { loadSchema, type SubgraphDefinition, type SubgraphDeps } from '../../platform/server.ts';
import { recordTimelineEvent } from './commands.ts';
import { TIMELINE_TOPICS } from './domain/timeline.ts';
import { createResolvers } from './resolvers.ts';

export const LIFECYCLE = 'lifecycle';
/** The consumer group of the Copilot timeline read model. */
export const TIMELINE_CONSUMER = 'lifecycle-timeline';

/** The lifecycle subgraph: customer health, lifecycle stages, Copilot tasks, the timeline read model and the support engine. */
export const createLifecycleSubgraph = (deps: SubgraphDeps): SubgraphDefinition => {
  let timeline: BusSubscription | null = null;
  return {
    name: LIFECYCLE,
    typeDefs: loadSchema(import.meta.url),
    resolvers: createResolvers(deps) as GraphQLResolverMap<RequestContext>,
    async start() {
      timeline = await consumeOnce(deps.bus, deps.store, { consumer: TIMELINE_CONSUMER, topics: TIMELINE_TOPICS, fromBeginning: true }, recordTimelineEvent);
    },
    async stop() {
      await timeline?.close();
      timeline = null;
    },
  };
};

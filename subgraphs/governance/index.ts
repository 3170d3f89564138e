import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import type { RequestContext } from '../../platform/context.ts';
import type { BusSubscription } from '../../platform/events/port.ts';
import { loadSchema, type SubgraphDefinition, type SubgraphDeps } from '../../platform/server.ts';
import { startAuditConsumer, type AuditOptions } from './audit.ts';
import { createHashKeys } from './policies.ts';
import { createResolvers } from './resolvers.ts';

export const GOVERNANCE = 'governance';

/**
 * The governance subgraph: the tamper-evident audit chain of the whole supergraph, the policy engine,
 * governed chat (eight-stage pipeline, trust, observer). No side effects until start().
 */
export const createGovernanceSubgraph = (deps: SubgraphDeps, options: Partial<AuditOptions> = {}): SubgraphDefinition => {
  const audit: AuditOptions = { checkpointEvery: options.checkpointEvery ?? 100 };
  let consumer: BusSubscription | null = null;
  return {
    name: GOVERNANCE,
    typeDefs: loadSchema(import.meta.url),
    resolvers: createResolvers(deps, createHashKeys(deps)) as GraphQLResolverMap<RequestContext>,
    async start() {
      consumer = await startAuditConsumer(deps, audit);
    },
    async stop() {
      await consumer?.close();
      consumer = null;
    },
  };
};

import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import type { RequestContext } from '../../platform/context.ts';
import { consumeOnce } from '../../platform/events/consume.ts';
import type { BusSubscription } from '../../platform/events/port.ts';
import { loadSchema, type SubgraphDefinition, type SubgraphDeps } from '../../platform/server.ts';
import { recordTimelineEvent } from './commands.ts';
import { TIMELINE_TOPICS } from './domain/timeline.ts';
import { createResolvers } from './resolvers.ts';
import { createApprovalScheduler } from './approvals/commands.ts';
import { BENCHMARK_CONSUMER, BENCHMARK_SOURCE_TYPES, recordBenchmarkContribution } from './qbr/commands.ts';
import { createHttpCrmConnector } from './crm/connector.ts';
import { MONITORING_CONSUMER, MONITORING_SOURCE_TYPES, recordConfigEvent } from './monitoring/commands.ts';
import { createCrmScheduler, CRM_CONSUMER, CRM_SOURCE_TOPICS, CRM_SOURCE_TYPES, queueCrmDelivery, type CrmConnectorFactory } from './crm/sync.ts';

export const LIFECYCLE = 'lifecycle';
/** The consumer group of the Copilot timeline read model. */
export const TIMELINE_CONSUMER = 'lifecycle-timeline';

export interface LifecycleOptions {
  /** The CRM connector for an organization's settings (default: the HTTP connector to its endpoint). */
  crmConnector?: CrmConnectorFactory;
  /** Longest wait between CRM scheduler ticks (default 1000 ms); ticks are timed for the earliest due delivery. */
  crmPollMs?: number;
  /** Longest wait between approval escalation ticks (default 1000 ms); ticks are timed for the earliest SLA deadline. */
  approvalPollMs?: number;
}

/** The lifecycle subgraph: customer health, lifecycle stages, Copilot tasks, the timeline read model, the support engine and CRM sync. */
export const createLifecycleSubgraph = (deps: SubgraphDeps, options: LifecycleOptions = {}): SubgraphDefinition => {
  let timeline: BusSubscription | null = null;
  let crmSource: BusSubscription | null = null;
  let monitoring: BusSubscription | null = null;
  let benchmark: BusSubscription | null = null;
  const approvals = createApprovalScheduler(deps, { pollMs: options.approvalPollMs });
  const scheduler = createCrmScheduler(deps, options.crmConnector ?? ((settings) => createHttpCrmConnector(settings.endpointUrl)), { pollMs: options.crmPollMs });
  return {
    name: LIFECYCLE,
    typeDefs: loadSchema(import.meta.url),
    resolvers: createResolvers(deps, { kick: () => scheduler.kick() }, { kick: () => approvals.kick() }) as GraphQLResolverMap<RequestContext>,
    async start() {
      timeline = await consumeOnce(deps.bus, deps.store, { logger: deps.logger, consumer: TIMELINE_CONSUMER, topics: TIMELINE_TOPICS, fromBeginning: true }, recordTimelineEvent);
      crmSource = await consumeOnce(deps.bus, deps.store, { logger: deps.logger, consumer: CRM_CONSUMER, topics: CRM_SOURCE_TOPICS, types: CRM_SOURCE_TYPES, fromBeginning: true }, (event, tx) =>
        queueCrmDelivery(deps, event, tx, () => scheduler.kick()),
      );
      monitoring = await consumeOnce(deps.bus, deps.store, { logger: deps.logger, consumer: MONITORING_CONSUMER, topics: ['config_events'], types: MONITORING_SOURCE_TYPES, fromBeginning: true }, (event, tx) => recordConfigEvent(deps, event, tx));
      benchmark = await consumeOnce(deps.bus, deps.store, { logger: deps.logger, consumer: BENCHMARK_CONSUMER, topics: ['customer_success_events'], types: BENCHMARK_SOURCE_TYPES, fromBeginning: true }, (event) => recordBenchmarkContribution(deps, event));
      await scheduler.start();
      await approvals.start();
    },
    async stop() {
      await approvals.stop();
      await benchmark?.close();
      benchmark = null;
      await scheduler.stop();
      await crmSource?.close();
      await monitoring?.close();
      monitoring = null;
      await timeline?.close();
      crmSource = null;
      timeline = null;
    },
  };
};

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { MeshConfig } from './platform/config.ts';
import type { Logger } from './platform/logger.ts';
import { createKernel, listen, runSubgraph, SUBGRAPH_PORTS, type Kernel, type RunningSubgraph } from './platform/runtime.ts';
import { createGateway, type Gateway } from './gateway/index.ts';
import { createEngineMonitor } from './platform/engine-health.ts';
import { createSubscriptionEngine } from './gateway/subscriptions/engine.ts';
import { trackSubscriptions } from './platform/metrics.ts';
import { SUBGRAPHS } from './subgraphs/catalog.ts';

export interface AllInOne {
  kernel: Kernel;
  gateway: Gateway;
  subgraphs: RunningSubgraph[];
  /** The gateway's URL, e.g. http://127.0.0.1:4000/graphql. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * All-in-one mode: the seven subgraphs (each on its own loopback port, as in services mode) and the
 * gateway in one process, on the engines the config names (embedded by default).
 * `subgraphPorts: 'ephemeral'` picks free ports (tests); the gateway then routes by override.
 */
export const startAllInOne = async (config: MeshConfig, logger: Logger, options: { supergraphPath?: string; subgraphPorts?: 'fixed' | 'ephemeral' } = {}): Promise<AllInOne> => {
  const supergraphSdl = readFileSync(options.supergraphPath ?? new URL('./supergraph.graphql', import.meta.url), 'utf8');
  // Relays wait until every subgraph has subscribed its consumers (events pending from a crash go out then).
  const kernel = await createKernel(config, logger, { holdRelays: true });
  const subgraphs: RunningSubgraph[] = [];
  try {
    for (const { name, create } of SUBGRAPHS) {
      const port = options.subgraphPorts === 'ephemeral' ? 0 : config.subgraphPortBase + SUBGRAPH_PORTS[name];
      subgraphs.push(await runSubgraph(kernel, name, create, port));
    }
  } catch (error) {
    kernel.relays.open();
    await Promise.all(subgraphs.map((s) => s.stop()));
    throw error;
  }
  const engineMonitor = createEngineMonitor();
  kernel.relays.open();
  const gateway = createGateway({
    supergraphSdl,
    config,
    logger: logger.child({ component: 'gateway' }),
    verifier: kernel.verifier,
    subgraphUrls: Object.fromEntries(subgraphs.map((s) => [s.name, s.url])),
    jwks: async () => kernel.keyring.jwks,
    engines: () => engineMonitor.check({ bus: kernel.bus }),
  });
  await gateway.start();
  // Federated subscriptions (graphql-ws on /graphql), fed by the kernel's bus; gateway.stop() closes it.
  const subscriptions = await createSubscriptionEngine({ gateway, bus: kernel.bus, logger: logger.child({ component: 'subscriptions' }), ...config.subscriptions });
  gateway.setUpgradeHandler(subscriptions);
  const untrack = trackSubscriptions(() => subscriptions.stats);
  const server: Server = createServer((req, res) => void gateway.handle(req, res));
  server.keepAliveTimeout = 65_000;
  gateway.attach(server);
  const port = await listen(server, config.port, config.host);
  return {
    kernel,
    gateway,
    subgraphs,
    port,
    url: `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}/graphql`,
    async stop() {
      // Stop accepting, then drop idle keep-alive connections so close() can finish.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
      server.closeAllConnections();
      untrack();
      await gateway.stop();
      for (const subgraph of subgraphs) await subgraph.stop();
      await kernel.bus.close();
    },
  };
};

import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { createKernel, onShutdown, runSubgraph, SUBGRAPH_PORTS, type SubgraphName } from './runtime.ts';
import type { SubgraphDefinition, SubgraphDeps } from './server.ts';

/**
 * Services mode: one subgraph in its own process. Port: PORT, else MESH_SUBGRAPH_PORT_BASE + offset.
 * Engines from the environment (MESH_STORE, MESH_GRAPH, MESH_BUS); a bad setting fails fast.
 */
export const runSubgraphMain = async (name: SubgraphName, create: (deps: SubgraphDeps) => SubgraphDefinition): Promise<void> => {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    console.error(`Configuration error: ${(error as Error).message}`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
  const logger = createLogger(config.logLevel, `mesh-${name}`);
  try {
    const kernel = await createKernel(config, logger);
    const port = process.env.PORT ? config.port : config.subgraphPortBase + SUBGRAPH_PORTS[name];
    const running = await runSubgraph(kernel, name, create, port);
    logger.info({ url: running.url, store: running.deps.store.engine, bus: kernel.bus.engine }, `${name} subgraph listening`);
    onShutdown(logger, async () => {
      await running.stop();
      await kernel.bus.close();
    });
  } catch (error) {
    logger.fatal({ err: error }, `${name} subgraph failed to start`);
    console.error(`${name} failed to start: ${(error as Error).message}`);
    process.exit(1);
  }
};

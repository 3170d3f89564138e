/**
 * The seven subgraphs in one process (embedded engines, a temp data dir from MESH_DATA_DIR), each on
 * its own ephemeral loopback port, and no gateway: every benchmarked gateway runs in its own process
 * in front of this one. Prints `subgraphs {"identity":"http://127.0.0.1:…/graphql",…}` when ready.
 */
import { loadConfig } from '../platform/config.ts';
import { createLogger } from '../platform/logger.ts';
import { createKernel, onShutdown, runSubgraph, type RunningSubgraph } from '../platform/runtime.ts';
import { SUBGRAPHS } from '../subgraphs/catalog.ts';

const config = loadConfig();
const logger = createLogger(config.logLevel, 'bench-subgraphs');
const kernel = await createKernel(config, logger);
const running: RunningSubgraph[] = [];
for (const { name, create } of SUBGRAPHS) running.push(await runSubgraph(kernel, name, create, 0));
console.log(`subgraphs ${JSON.stringify(Object.fromEntries(running.map((s) => [s.name, s.url])))}`);
onShutdown(logger, async () => {
  for (const subgraph of running) await subgraph.stop();
  await kernel.bus.close();
});

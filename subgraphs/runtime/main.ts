import { runSubgraphMain } from '../../platform/main.ts';
import { createRuntimeSubgraph } from './index.ts';

await runSubgraphMain('runtime', createRuntimeSubgraph);

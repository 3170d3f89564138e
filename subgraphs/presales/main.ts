import { runSubgraphMain } from '../../platform/main.ts';
import { createPresalesSubgraph } from './index.ts';
await runSubgraphMain('presales', createPresalesSubgraph);

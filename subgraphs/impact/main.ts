import { runSubgraphMain } from '../../platform/main.ts';
import { createImpactSubgraph } from './index.ts';
await runSubgraphMain('impact', createImpactSubgraph);

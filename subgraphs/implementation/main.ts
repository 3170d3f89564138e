import { runSubgraphMain } from '../../platform/main.ts';
import { createImplementationSubgraph } from './index.ts';
await runSubgraphMain('implementation', createImplementationSubgraph);

import { runSubgraphMain } from '../../platform/main.ts';
import { createLifecycleSubgraph } from './index.ts';
await runSubgraphMain('lifecycle', createLifecycleSubgraph);

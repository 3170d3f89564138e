import { runSubgraphMain } from '../../platform/main.ts';
import { createGovernanceSubgraph } from './index.ts';

await runSubgraphMain('governance', createGovernanceSubgraph);

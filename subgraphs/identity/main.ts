import { runSubgraphMain } from '../../platform/main.ts';
import { createIdentitySubgraph } from './index.ts';

await runSubgraphMain('identity', createIdentitySubgraph);

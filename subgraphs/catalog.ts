import type { SubgraphName } from '../platform/runtime.ts';
import type { SubgraphDefinition, SubgraphDeps } from '../platform/server.ts';
import { createIdentitySubgraph } from './identity/index.ts';
import { createPresalesSubgraph } from './presales/index.ts';
import { createImplementationSubgraph } from './implementation/index.ts';
import { createRuntimeSubgraph } from './runtime/index.ts';
import { createLifecycleSubgraph } from './lifecycle/index.ts';
import { createImpactSubgraph } from './impact/index.ts';
import { createGovernanceSubgraph } from './governance/index.ts';

/** The seven subgraphs, in rover.yaml order. Only all-in-one mode imports them together. */
export const SUBGRAPHS: ReadonlyArray<{ name: SubgraphName; create: (deps: SubgraphDeps) => SubgraphDefinition }> = [
  { name: 'identity', create: createIdentitySubgraph },
  { name: 'presales', create: createPresalesSubgraph },
  { name: 'implementation', create: createImplementationSubgraph },
  { name: 'runtime', create: createRuntimeSubgraph },
  { name: 'lifecycle', create: createLifecycleSubgraph },
  { name: 'impact', create: createImpactSubgraph },
  { name: 'governance', create: createGovernanceSubgraph },
];

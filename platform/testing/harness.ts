import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { scopesForRoles, type Role } from '../auth/roles.ts';
import type { Principal } from '../auth/tokens.ts';
import { loadConfig, type MeshConfig } from '../config.ts';
import { newId } from '../ids.ts';
import { createLogger } from '../logger.ts';
import { createKernel, createSubgraphDeps, type Kernel } from '../runtime.ts';
import { createSubgraphServer, type SubgraphDefinition, type SubgraphDeps, type SubgraphServer } from '../server.ts';

/** A principal for in-process tests: a user of `tenantId` holding `roles` (scopes derived as in tokens). */
export const principalFor = (tenantId: string, roles: Role[] = ['ADMIN'], overrides: Partial<Principal> = {}): Principal => ({
  subject: overrides.subject ?? newId(),
  kind: 'user',
  tenantId,
  roles,
  scopes: scopesForRoles(roles),
  platformAdmin: roles.includes('PLATFORM_ADMIN'),
  expiresAt: Math.floor(Date.now() / 1000) + 3600,
  ...overrides,
});

/** A kernel on a fresh temporary MESH_DATA_DIR with embedded engines and silent logs. */
export const createTestKernel = async (env: Record<string, string> = {}): Promise<{ kernel: Kernel; config: MeshConfig; cleanup(): Promise<void> }> => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'mesh-test-'));
  const config = loadConfig({ NODE_ENV: 'test', MESH_DATA_DIR: dataDir, ...env });
  const kernel = await createKernel(config, createLogger('silent'));
  return { kernel, config, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
};

export interface TestSubgraph {
  server: SubgraphServer;
  deps: SubgraphDeps;
  /** Runs an operation as `principal` and returns data and errors. */
  run(query: string, variables?: Record<string, unknown>, principal?: Principal | null): ReturnType<SubgraphServer['executeOperation']>;
  /** Waits until every event committed so far has been published and handled. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * One subgraph in-process on embedded engines, for subgraph tests through `executeOperation`
 * (including `_entities` for `__resolveReference`).
 */
export const createTestSubgraph = async (name: string, create: (deps: SubgraphDeps) => SubgraphDefinition, env: Record<string, string> = {}): Promise<TestSubgraph> => {
  const { kernel, cleanup } = await createTestKernel(env);
  const deps = await createSubgraphDeps(kernel, name);
  const server = createSubgraphServer(create(deps), deps);
  await server.start();
  return {
    server,
    deps,
    run: (query, variables, principal) => server.executeOperation(query, variables, principal),
    flush: () => deps.relay.flush(),
    async close() {
      await server.stop();
      await deps.relay.stop();
      await deps.graph.close();
      await deps.store.close();
      await kernel.bus.close();
      await cleanup();
    },
  };
};

import { createServer, type Server } from 'node:http';
import { loadOrCreateKeyring, type Keyring } from './auth/keys.ts';
import { createTokenVerifier, type TokenVerifier } from './auth/tokens.ts';
import type { MeshConfig } from './config.ts';
import { createLanguageModel } from './ai/create.ts';
import type { LanguageModel } from './ai/port.ts';
import { createDocumentStore, createEventBus, createGraphStore } from './engines.ts';
import type { EventBus } from './events/port.ts';
import { startOutboxRelay, type OutboxRelay } from './events/outbox-relay.ts';
import type { GraphStore } from './graph/port.ts';
import type { Logger } from './logger.ts';
import { createProvenanceFactory, createProvenanceSigner, type ProvenanceSigner } from './provenance/provenance.ts';
import { createSubgraphServer, type SubgraphDefinition, type SubgraphDeps, type SubgraphServer } from './server.ts';

/** The seven subgraphs and their default port offsets from MESH_SUBGRAPH_PORT_BASE (4101). */
export const SUBGRAPH_PORTS = { identity: 0, presales: 1, implementation: 2, runtime: 3, lifecycle: 4, impact: 5, governance: 6 } as const;
export type SubgraphName = keyof typeof SUBGRAPH_PORTS;

/** What every subgraph in one process shares: config, keys, the bus and the language model. */
export interface Kernel {
  config: MeshConfig;
  logger: Logger;
  keyring: Keyring;
  verifier: TokenVerifier;
  signer: ProvenanceSigner;
  bus: EventBus;
  ai: LanguageModel;
  /**
   * Outbox relays publish only once `relays.ready` resolves. All-in-one mode holds them until every
   * subgraph has subscribed its consumers: the in-process bus keeps nothing, so events left pending
   * by a crash and published before their consumers exist would be marked published and lost.
   */
  relays: { ready: Promise<void>; open(): void };
}

export const createKernel = async (config: MeshConfig, logger: Logger, options: { holdRelays?: boolean } = {}): Promise<Kernel> => {
  const keyring = await loadOrCreateKeyring(config.dataDir);
  const settings = { issuer: config.issuer, audience: config.audience };
  const verifier = createTokenVerifier(settings, config.jwksUrl ? { jwksUrl: config.jwksUrl } : { jwks: keyring.jwks });
  const bus = await createEventBus(config, 'cognitive-mesh', logger.child({ component: 'bus' }));
  let open = (): void => undefined;
  const ready = options.holdRelays ? new Promise<void>((resolve) => (open = resolve)) : Promise.resolve();
  return { config, logger, keyring, verifier, signer: createProvenanceSigner(keyring.provenance), bus, ai: createLanguageModel(config), relays: { ready, open: () => open() } };
};

/** Ports for one subgraph: its own store (file or database) and graph, plus the kernel's shared services. */
export const createSubgraphDeps = async (kernel: Kernel, name: string): Promise<SubgraphDeps & { relay: OutboxRelay; graph: GraphStore }> => {
  const { config } = kernel;
  const store = await createDocumentStore(config, name);
  let graph: GraphStore;
  try {
    graph = await createGraphStore(config, name);
  } catch (error) {
    await store.close();
    throw error;
  }
  const logger = kernel.logger.child({ subgraph: name });
  const relay = startOutboxRelay(store, kernel.bus, logger, { startAfter: kernel.relays.ready });
  return {
    config,
    logger,
    store,
    graph,
    bus: kernel.bus,
    ai: kernel.ai,
    keyring: kernel.keyring,
    verifier: kernel.verifier,
    signer: kernel.signer,
    provenance: createProvenanceFactory(name, store.engine),
    relay,
  };
};

export interface RunningSubgraph {
  name: string;
  url: string;
  server: SubgraphServer;
  deps: SubgraphDeps & { relay: OutboxRelay };
  stop(): Promise<void>;
}

export const listen = (server: Server, port: number, host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });

/** Builds, starts and listens one subgraph on 127.0.0.1 (or HOST) at `port` (0 = any free port). */
export const runSubgraph = async (kernel: Kernel, name: string, create: (deps: SubgraphDeps) => SubgraphDefinition, port: number): Promise<RunningSubgraph> => {
  const deps = await createSubgraphDeps(kernel, name);
  const server = createSubgraphServer(create(deps), deps);
  await server.start();
  const http = createServer((req, res) => void server.handle(req, res));
  http.keepAliveTimeout = 65_000;
  const actual = await listen(http, port, kernel.config.host);
  return {
    name,
    url: `http://${kernel.config.host}:${actual}/graphql`,
    server,
    deps,
    async stop() {
      // Stop accepting, then drop idle keep-alive connections so close() can finish.
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeIdleConnections();
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
      http.closeAllConnections();
      await server.stop();
      await deps.relay.stop();
      await deps.graph.close();
      await deps.store.close();
    },
  };
};

/** Stops on SIGINT/SIGTERM: stop accepting, drain, close engines; exits 0 (or 1 if shutdown failed). */
export const onShutdown = (logger: Logger, stop: () => Promise<void>): void => {
  let stopping = false;
  const handler = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => process.exit(1), 10_000);
    timer.unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
};

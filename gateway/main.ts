import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { loadOrCreateKeyring } from '../platform/auth/keys.ts';
import { createTokenVerifier, type TokenVerifier } from '../platform/auth/tokens.ts';
import { ConfigError, loadConfig } from '../platform/config.ts';
import { createEngineMonitor } from '../platform/engine-health.ts';
import { createEventBus } from '../platform/engines.ts';
import type { EventBus } from '../platform/events/port.ts';
import { createLogger } from '../platform/logger.ts';
import { listen, onShutdown } from '../platform/runtime.ts';
import { createGateway, subgraphUrlOverrides } from './index.ts';
import { trackSubscriptions } from '../platform/metrics.ts';
import { createSubscriptionEngine } from './subscriptions/engine.ts';
import { subgraphsOf } from './supergraph.ts';

/**
 * A general Federation 2 gateway: `gateway/main.ts --supergraph <file> --port <n>` (or MESH_SUPERGRAPH, PORT)
 * serves any composed supergraph at /graphql. Subgraph URLs come from the supergraph or from
 * MESH_SUBGRAPH_URL_<NAME>. Tokens are verified against MESH_JWKS_URL, else the `identity` subgraph's
 * /.well-known/jwks.json, else the keys in MESH_DATA_DIR.
 */
const { values } = parseArgs({ options: { supergraph: { type: 'string' }, port: { type: 'string' } }, allowPositionals: false });
let config;
try {
  config = loadConfig({ ...process.env, ...(values.port ? { PORT: values.port } : {}) });
} catch (error) {
  console.error(`Configuration error: ${(error as Error).message}`);
  process.exit(error instanceof ConfigError ? 2 : 1);
}
const logger = createLogger(config.logLevel, 'mesh-gateway');
const supergraphPath = values.supergraph ?? process.env.MESH_SUPERGRAPH ?? 'supergraph.graphql';
let supergraphSdl: string;
try {
  supergraphSdl = readFileSync(supergraphPath, 'utf8');
} catch (error) {
  console.error(`Cannot read the supergraph at ${supergraphPath} (--supergraph or MESH_SUPERGRAPH): ${(error as Error).message}`);
  process.exit(2);
}
const overrides = subgraphUrlOverrides();
const identity = subgraphsOf(supergraphSdl).find((s) => s.name === 'identity');
const settings = { issuer: config.issuer, audience: config.audience };
let verifier: TokenVerifier;
let jwks: () => Promise<unknown>;
if (config.jwksUrl || identity) {
  const jwksUrl = config.jwksUrl ?? new URL('/.well-known/jwks.json', overrides.identity ?? identity?.url).toString();
  verifier = createTokenVerifier(settings, { jwksUrl });
  jwks = async () => (await fetch(jwksUrl, { signal: AbortSignal.timeout(3000) })).json();
} else {
  const keyring = await loadOrCreateKeyring(config.dataDir);
  verifier = createTokenVerifier(settings, { jwks: keyring.jwks });
  jwks = async () => keyring.jwks;
}
// The bus first: an unreachable KAFKA_BROKERS fails the start, naming the variable.
let bus: EventBus;
try {
  bus = await createEventBus(config, 'gateway', logger.child({ component: 'bus' }));
} catch (error) {
  logger.fatal({ err: error }, 'gateway failed to start');
  console.error(`Gateway failed to start: ${(error as Error).message}`);
  process.exit(1);
}
if (config.bus === 'memory') {
  // An in-process bus only carries events published in this process: a standalone gateway gets none.
  logger.warn('MESH_BUS=memory: this standalone gateway receives no events from the subgraph processes, so subscriptions deliver nothing; set MESH_BUS=kafka (services mode) or run npm start (all-in-one)');
}
const engineMonitor = createEngineMonitor();
const gateway = createGateway({ supergraphSdl, config, logger, verifier, subgraphUrls: overrides, jwks, engines: () => engineMonitor.check({ bus }) });
try {
  await gateway.start();
} catch (error) {
  console.error(`Gateway failed to start: ${(error as Error).message}`);
  await bus.close().catch(() => undefined);
  process.exit(1);
}
// Federated subscriptions: graphql-ws on /graphql, one consumer group per gateway instance.
const subscriptions = await createSubscriptionEngine({ gateway, bus, logger: logger.child({ component: 'subscriptions' }), ...config.subscriptions });
gateway.setUpgradeHandler(subscriptions);
trackSubscriptions(() => subscriptions.stats);
const server = createServer((req, res) => void gateway.handle(req, res));
server.keepAliveTimeout = 65_000;
gateway.attach(server);
const port = await listen(server, config.port, config.host);
logger.info({ url: `http://${config.host}:${port}/graphql`, supergraph: supergraphPath }, 'gateway listening');
console.log(`gateway listening on http://${config.host}:${port}/graphql`);
onShutdown(logger, async () => {
  // Stop accepting, then drop idle keep-alive connections so close() can finish.
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  server.closeAllConnections();
  await gateway.stop();
  await bus.close();
});

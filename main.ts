import { ConfigError, loadConfig } from './platform/config.ts';
import { createLogger } from './platform/logger.ts';
import { onShutdown } from './platform/runtime.ts';
import { startAllInOne } from './all-in-one.ts';

/** `npm start`: the whole supergraph in one process on embedded engines (or those the environment names). */
let config;
try {
  config = loadConfig();
} catch (error) {
  console.error(`Configuration error: ${(error as Error).message}`);
  process.exit(error instanceof ConfigError ? 2 : 1);
}
const logger = createLogger(config.logLevel);
try {
  const mesh = await startAllInOne(config, logger);
  const base = mesh.url.replace(/\/graphql$/, '');
  const usingDefaultPassword = !process.env.MESH_ADMIN_PASSWORD;
  console.log(`
Cognitive Mesh is up (all-in-one, store=${mesh.subgraphs[0].deps.store.engine}, bus=${mesh.kernel.bus.engine}).

  GraphQL (HTTP + graphql-ws):  ${mesh.url}
  Apollo Sandbox:               ${mesh.url}  (open in a browser)
  Health:                       ${base}/health
  Metrics:                      ${base}/metrics
  JWKS:                         ${base}/.well-known/jwks.json
  Data directory:               ${config.dataDir}

Sign in as the platform admin (${config.adminEmail}${usingDefaultPassword ? ', password from MESH_ADMIN_PASSWORD, default "change-me-now"' : ''}):

  curl -s ${mesh.url} -H 'content-type: application/json' \\
    -d '{"query":"mutation($i: SignInInput!){ signIn(input: $i){ accessToken expiresAt } }","variables":{"i":{"email":"${config.adminEmail}","password":"<password>"}}}'

Then send  Authorization: Bearer <accessToken>  (Sandbox: Headers tab).
`);
  onShutdown(logger, () => mesh.stop());
} catch (error) {
  logger.fatal({ err: error }, 'failed to start');
  console.error(`Cognitive Mesh failed to start: ${(error as Error).message}`);
  process.exit(1);
}

/**
 * Peer for the gateway benchmark: Hive Gateway (`@graphql-hive/gateway` CLI) with its defaults
 * (fork 1 = one process, its default caches, plugins and logging). The only setting is the
 * documented header propagation so subgraphs receive the client's token
 * (https://the-guild.dev/graphql/hive/docs/gateway/other-features/header-propagation).
 *   node node_modules/@graphql-hive/gateway/dist/bin.js supergraph <file> --port <n> -c bench/peers/hive.config.ts
 */
import { defineConfig } from '@graphql-hive/gateway';

export const gatewayConfig = defineConfig({
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => ({ authorization: request.headers.get('authorization') }),
  },
});

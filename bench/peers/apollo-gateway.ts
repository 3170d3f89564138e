/**
 * Peer for the gateway benchmark: plain `@apollo/gateway` in `@apollo/server` with their defaults
 * (startStandaloneServer, RemoteGraphQLDataSource, default plugins and caches). The only addition is
 * the documented way to pass the client's Authorization header to subgraphs: a `buildService` that
 * returns a RemoteGraphQLDataSource whose `willSendRequest` copies it from the context
 * (https://www.apollographql.com/docs/apollo-server/using-federation/api/apollo-gateway#buildservice).
 *   node bench/peers/apollo-gateway.ts <supergraph file> <port>
 */
import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

interface Context {
  authorization?: string;
}

const [supergraphPath, port] = process.argv.slice(2);
const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(supergraphPath, 'utf8'),
  buildService: ({ url }) =>
    new RemoteGraphQLDataSource<Context>({
      url,
      willSendRequest({ request, context }) {
        if (context.authorization) request.http?.headers.set('authorization', context.authorization);
      },
    }),
});
const server = new ApolloServer<Context>({ gateway });
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(port), host: '127.0.0.1' },
  context: async ({ req }) => ({ authorization: req.headers.authorization }),
});
console.log(`apollo-gateway listening on ${url}`);
const stop = (): void => void server.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { parse, type DocumentNode } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { bearerToken, type Principal, type TokenVerifier } from './auth/tokens.ts';
import { newId } from './ids.ts';
import { enforceAuthDirectives } from './auth/directives.ts';
import type { Keyring } from './auth/keys.ts';
import type { MeshConfig } from './config.ts';
import type { RequestContext } from './context.ts';
import { createEngineMonitor } from './engine-health.ts';
import { formatGraphQLError } from './errors.ts';
import { correlationPlugin } from './apollo-plugins.ts';
import { correlationIdOf, headerMapOf, parseJsonBody, readBody, sendApolloResponse, sendError, sendJson } from './http.ts';
import type { Logger } from './logger.ts';
import { graphqlDuration, graphqlRequests, registry } from './metrics.ts';
import type { ProvenanceRecord, ProvenanceSigner, ProvenanceFactory } from './provenance/provenance.ts';
import type { DocumentStore } from './store/port.ts';
import type { EventBus } from './events/port.ts';
import type { GraphStore } from './graph/port.ts';
import type { LanguageModel } from './ai/port.ts';

/** Everything a subgraph may use: ports and kernel services, nothing from other subgraphs. */
export interface SubgraphDeps {
  config: MeshConfig;
  logger: Logger;
  store: DocumentStore;
  graph: GraphStore;
  bus: EventBus;
  ai: LanguageModel;
  keyring: Keyring;
  verifier: TokenVerifier;
  provenance: ProvenanceFactory;
  signer: ProvenanceSigner;
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** What `create<Name>Subgraph(deps)` returns: no side effects until `start`. */
export interface SubgraphDefinition {
  name: string;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<RequestContext>;
  /** Starts consumers and background work. */
  start?(): Promise<void>;
  stop?(): Promise<void>;
  /** Extra HTTP routes (GET), e.g. identity's /.well-known/jwks.json. */
  routes?: Record<string, RouteHandler>;
}

/** Reads a subgraph's schema.graphql next to its index.ts. */
export const loadSchema = (moduleUrl: string): DocumentNode => parse(readFileSync(new URL('./schema.graphql', moduleUrl), 'utf8'));

/** Resolvers every subgraph shares: the DateTime scalar and Provenance's computed fields. */
export const commonResolvers = (signer: ProvenanceSigner): GraphQLResolverMap<RequestContext> => ({
  DateTime: DateTimeResolver,
  Provenance: {
    origin: (record: ProvenanceRecord) => `${record.subgraph}/${record.engine}`,
    signature: (record: ProvenanceRecord) => signer.sign(record),
  },
});

export interface SubgraphServer {
  name: string;
  handle: RouteHandler;
  /** Runs an operation in-process with the given principal (tests and tools; no HTTP). */
  executeOperation(query: string, variables?: Record<string, unknown>, principal?: Principal | null): Promise<{ data?: Record<string, unknown> | null; errors?: ReadonlyArray<{ message: string; path?: ReadonlyArray<string | number>; extensions?: Record<string, unknown> }> }>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const metricsPlugin = (service: string): ApolloServerPlugin<RequestContext> => ({
  async requestDidStart() {
    const stop = graphqlDuration.startTimer({ service });
    return {
      async willSendResponse({ errors, response }) {
        stop();
        const failed = (errors?.length ?? 0) > 0 || (response.body.kind === 'single' && (response.body.singleResult.errors?.length ?? 0) > 0);
        graphqlRequests.inc({ service, outcome: failed ? 'error' : 'ok' });
      },
    };
  },
});

const loggingPlugin = (): ApolloServerPlugin<RequestContext> => ({
  async requestDidStart() {
    return {
      async didEncounterErrors({ errors, contextValue }) {
        for (const error of errors) {
          const original = error.originalError;
          if (!original || original.name === 'DomainError' || original.name === 'GraphQLError') {
            contextValue.logger.debug({ err: error.message, path: error.path }, 'request error');
          } else {
            contextValue.logger.error({ err: original, path: error.path }, 'unexpected error');
          }
        }
      },
    };
  },
});

/** The one place a subgraph's Apollo Server is built and its plugins installed. */
export const createSubgraphServer = (definition: SubgraphDefinition, deps: SubgraphDeps): SubgraphServer => {
  const schema = enforceAuthDirectives(buildSubgraphSchema([{ typeDefs: definition.typeDefs, resolvers: { ...commonResolvers(deps.signer), ...definition.resolvers } as GraphQLResolverMap<unknown> }]));
  const logger = deps.logger.child({ subgraph: definition.name });
  const apollo = new ApolloServer<RequestContext>({
    schema,
    introspection: true,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    // Cache control is off: no subgraph sets cache hints and the gateway does not read them, and the
    // default plugin wraps every field resolver (schema instrumentation) — measurable on lists of 200.
    plugins: [metricsPlugin(definition.name), loggingPlugin(), correlationPlugin<RequestContext>(), ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginCacheControlDisabled()],
    formatError: (formatted, error) => formatGraphQLError(formatted, error, '', false),
  });

  const handleGraphQL = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const correlationId = correlationIdOf(req);
    try {
      const raw = req.method === 'POST' ? await readBody(req, deps.config.limits.maxBodyBytes * 4) : '';
      const body = parseJsonBody(raw, req.headers['content-type']);
      const token = bearerToken(req.headers.authorization);
      const principal = token ? await deps.verifier.verify(token) : null;
      const traceparent = typeof req.headers.traceparent === 'string' ? req.headers.traceparent : undefined;
      let requestLogger: Logger | undefined;
      const context: RequestContext = {
        principal,
        correlationId,
        ...(traceparent ? { traceparent } : {}),
        // Created on first use: most requests never log.
        get logger(): Logger {
          requestLogger ??= logger.child({ correlationId });
          return requestLogger;
        },
        loaders: new Map(),
      };
      const url = new URL(req.url ?? '/', 'http://localhost');
      const response = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? 'GET', headers: headerMapOf(req), search: url.search, body },
        context: async () => context,
      });
      await sendApolloResponse(res, response, { 'x-correlation-id': correlationId });
    } catch (error) {
      sendError(res, error, correlationId);
    }
  };

  const engineMonitor = createEngineMonitor();
  const routes: Record<string, RouteHandler> = {
    '/graphql': handleGraphQL,
    // Each engine: kind, up/down, detail, last error (kept after recovery). 503 while any is down.
    '/health': async (_req, res) => {
      const engines = await engineMonitor.check({ store: deps.store, graph: deps.graph, bus: deps.bus });
      const ok = Object.values(engines).every((e) => e.status === 'up');
      sendJson(res, ok ? 200 : 503, { status: ok ? 'ok' : 'degraded', subgraph: definition.name, engines });
    },
    '/metrics': async (_req, res) => {
      res.setHeader('content-type', registry.contentType);
      res.end(await registry.metrics());
    },
    ...definition.routes,
  };

  return {
    name: definition.name,
    async handle(req, res) {
      const path = (req.url ?? '/').split('?')[0];
      const route = routes[path];
      if (!route) {
        sendJson(res, 404, { error: 'not found' });
        return;
      }
      await route(req, res);
    },
    async executeOperation(query, variables = {}, principal = null) {
      const correlationId = newId();
      const context: RequestContext = { principal, correlationId, logger: logger.child({ correlationId }), loaders: new Map() };
      const response = await apollo.executeOperation({ query, variables }, { contextValue: context });
      if (response.body.kind !== 'single') throw new Error('incremental delivery is not supported here');
      return response.body.singleResult as Awaited<ReturnType<SubgraphServer['executeOperation']>>;
    },
    async start() {
      await apollo.start();
      await definition.start?.();
    },
    async stop() {
      await definition.stop?.();
      await apollo.stop();
    },
  };
};

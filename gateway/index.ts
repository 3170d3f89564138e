import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginLandingPageLocalDefault, ApolloServerPluginLandingPageProductionDefault } from '@apollo/server/plugin/landingPage/default';
import { parse, type GraphQLSchema } from 'graphql';
import { bearerToken, type Principal, type TokenVerifier } from '../platform/auth/tokens.ts';
import type { MeshConfig } from '../platform/config.ts';
import { DomainError, formatGraphQLError } from '../platform/errors.ts';
import { correlationIdOf, parseJsonBody, readBody, sendApolloResponse, sendError, sendJson } from '../platform/http.ts';
import { correlationPlugin, subscriptionsOverWebSocketPlugin } from '../platform/apollo-plugins.ts';
import type { EngineState } from '../platform/engine-health.ts';
import type { Logger } from '../platform/logger.ts';
import { graphqlDuration, graphqlRequests, rateLimited, registry } from '../platform/metrics.ts';
import type { GatewayContext } from './context.ts';
import { FORWARDED_HEADERS, PooledDataSource } from './data-source.ts';
import { analyzeOperation, sizeVariablesOf } from './limits.ts';
import { RateLimiter, rateLimitHeaders, type RateDecision } from './rate-limit.ts';
import { subgraphsOf, supergraphForGateway } from './supergraph.ts';

export interface GatewayOptions {
  supergraphSdl: string;
  config: MeshConfig;
  logger: Logger;
  /** Verifies bearer tokens at the edge. Null only for a gateway without an identity provider. */
  verifier: TokenVerifier | null;
  /** Subgraph URL overrides by subgraph name (MESH_SUBGRAPH_URL_<NAME>). */
  subgraphUrls?: Record<string, string>;
  /** The JWKS served at /.well-known/jwks.json. */
  jwks?: () => Promise<unknown>;
  /** The gateway process's own engines (its bus, for subscriptions), reported by /health. */
  engines?: () => Promise<Record<string, EngineState>>;
}

/** A WebSocket upgrade handler for the same /graphql path (the subscription engine). */
export interface UpgradeHandler {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): Promise<void>;
}

export interface Gateway {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Routes WebSocket upgrades on /graphql to the subscription engine, once one is set. */
  attach(server: Server): void;
  setUpgradeHandler(handler: UpgradeHandler): void;
  /** Runs an operation through the gateway's own planner, as `principal` (used by subscriptions). */
  execute(query: string, variables: Record<string, unknown>, context: GatewayContext): Promise<{ data?: Record<string, unknown> | null; errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }> }>;
  readonly apiSchema: GraphQLSchema | null;
  readonly supergraphSdl: string;
  readonly verifier: TokenVerifier | null;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const clientIp = (req: IncomingMessage): string => req.socket.remoteAddress ?? 'unknown';

/** Maps subgraph names to the env var overriding their URL: MESH_SUBGRAPH_URL_IDENTITY, ... */
export const subgraphUrlOverrides = (env: Record<string, string | undefined> = process.env): Record<string, string> => {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    const match = /^MESH_SUBGRAPH_URL_([A-Z0-9_]+)$/.exec(key);
    if (match && value) result[match[1].toLowerCase()] = value;
  }
  return result;
};

export const createGateway = (options: GatewayOptions): Gateway => {
  const { config, logger } = options;
  const overrides = options.subgraphUrls ?? {};
  const declared = subgraphsOf(options.supergraphSdl);
  const sources = new Map<string, PooledDataSource>();
  let apiSchema: GraphQLSchema | null = null;
  let upgrade: UpgradeHandler | null = null;

  const gateway = new ApolloGateway({
    supergraphSdl: supergraphForGateway(options.supergraphSdl),
    buildService: ({ name, url }) => {
      const target = overrides[name.toLowerCase()] ?? url;
      if (!target) throw new Error(`No URL for subgraph ${name}: set MESH_SUBGRAPH_URL_${name.toUpperCase()}`);
      const source = new PooledDataSource(name, target);
      sources.set(name, source);
      return source;
    },
  });
  gateway.onSchemaLoadOrUpdate(({ apiSchema: schema }) => {
    apiSchema = schema;
  });

  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: config.introspection,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    formatError: (formatted, error) => formatGraphQLError(formatted, error, ''),
    plugins: [
      correlationPlugin<GatewayContext>(),
      subscriptionsOverWebSocketPlugin<GatewayContext>(),
      {
        async requestDidStart() {
          const stop = graphqlDuration.startTimer({ service: 'gateway' });
          return {
            async willSendResponse({ response }) {
              stop();
              const failed = response.body.kind === 'single' && (response.body.singleResult.errors?.length ?? 0) > 0;
              graphqlRequests.inc({ service: 'gateway', outcome: failed ? 'error' : 'ok' });
            },
          };
        },
      },
      config.env === 'production' ? ApolloServerPluginLandingPageProductionDefault({ footer: false }) : ApolloServerPluginLandingPageLocalDefault({ embed: true, footer: false }),
    ],
  });

  const perIp = new RateLimiter(config.limits.ratePerIpPerMinute);
  const perPrincipal = new RateLimiter(config.limits.ratePerPrincipalPerMinute);
  const perTenant = new RateLimiter(config.limits.ratePerTenantPerMinute);
  const analyses = new Map<string, DomainError | null>();
  const sizeVariables = new Map<string, string[]>();

  const limitOrThrow = (decision: RateDecision, dimension: string): void => {
    if (decision.allowed) return;
    rateLimited.inc({ dimension });
    throw new DomainError('RATE_LIMITED', `Rate limit exceeded for this ${dimension}`, {
      hint: `Slow down: at most ${decision.limit} requests per minute per ${dimension}. Retry after ${decision.resetSeconds} s.`,
      retryAfterSeconds: decision.resetSeconds,
    });
  };

  /**
   * Checks depth, aliases, tokens and cost once per distinct query text and list-size variable values
   * (`first`/`last`/`limit`, the only variables cost depends on): LRU of 2,000 verdicts. The size
   * variables of a query text are remembered after its first parse, so repeated operations with
   * variables are not parsed and walked again on every request.
   */
  const checkLimits = (body: unknown): void => {
    if (!body || typeof body !== 'object' || Array.isArray(body)) return;
    const { query, variables } = body as { query?: unknown; variables?: unknown };
    if (typeof query !== 'string') return;
    const vars = variables && typeof variables === 'object' && !Array.isArray(variables) ? (variables as Record<string, unknown>) : {};
    const knownSizeVariables = sizeVariables.get(query);
    const keyOf = (names: readonly string[]): string => (names.length ? `${query}\u0000${JSON.stringify(names.map((name) => vars[name] ?? null))}` : query);
    if (knownSizeVariables) {
      const cached = analyses.get(keyOf(knownSizeVariables));
      if (cached === null) return;
      if (cached) throw cached;
    }
    let verdict: DomainError | null = null;
    let names: string[] = [];
    try {
      const { document } = analyzeOperation(query, config.limits, apiSchema, vars);
      names = sizeVariablesOf(document);
    } catch (error) {
      const code = (error as { extensions?: { code?: string } }).extensions?.code;
      if (code === 'QUERY_TOO_COMPLEX') {
        verdict = new DomainError('QUERY_TOO_COMPLEX', (error as Error).message, { hint: String((error as { extensions?: { hint?: string } }).extensions?.hint ?? ''), rootCause: 'operation limits' });
        // A size variable may be what made it too costly; key the verdict by their values too.
        names = /\$\w+/.test(query) ? sizeVariablesOfText(query) : [];
      }
      // Parse errors are left to Apollo, which reports them with locations (remembered as "no verdict").
    }
    remember(sizeVariables, query, names);
    remember(analyses, keyOf(names), verdict);
    if (verdict) throw verdict;
  };
  /** Size variables of a query that failed the limits (parsed without limits; it did parse before). */
  const sizeVariablesOfText = (query: string): string[] => {
    try {
      return sizeVariablesOf(parse(query, { noLocation: true }));
    } catch {
      return [];
    }
  };
  const remember = <V>(cache: Map<string, V>, key: string, value: V): void => {
    if (cache.size >= 2000) cache.delete(cache.keys().next().value as string);
    cache.set(key, value);
  };

  const authenticate = async (req: IncomingMessage): Promise<Principal | null> => {
    const token = bearerToken(req.headers.authorization);
    if (!token) return null;
    if (!options.verifier) return null;
    return options.verifier.verify(token);
  };

  const forwardOf = (req: IncomingMessage, correlationId: string): Record<string, string> => {
    const forward: Record<string, string> = { 'x-correlation-id': correlationId };
    for (const name of FORWARDED_HEADERS) {
      const value = req.headers[name];
      if (typeof value === 'string' && name !== 'x-correlation-id') forward[name] = value;
    }
    return forward;
  };

  const handleGraphQL = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const correlationId = correlationIdOf(req);
    let headers: Record<string, string> = { 'x-correlation-id': correlationId };
    try {
      const ipDecision = perIp.take(clientIp(req));
      headers = { ...headers, ...rateLimitHeaders(ipDecision) };
      limitOrThrow(ipDecision, 'client address');
      const raw = req.method === 'POST' ? await readBody(req, config.limits.maxBodyBytes) : '';
      const body = parseJsonBody(raw, req.headers['content-type']);
      const principal = await authenticate(req);
      if (principal) {
        const who = perPrincipal.take(`${principal.tenantId}:${principal.subject}`);
        const tenant = perTenant.take(principal.tenantId);
        const tightest = who.remaining <= tenant.remaining ? who : tenant;
        headers = { ...headers, ...rateLimitHeaders(tightest) };
        limitOrThrow(who, 'principal');
        limitOrThrow(tenant, 'organization');
      }
      if (req.method === 'POST') checkLimits(body);
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method === 'GET' && url.searchParams.has('query')) checkLimits({ query: url.searchParams.get('query'), variables: {} });
      const httpHeaders = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) if (typeof value === 'string') httpHeaders.set(key, value);
      const response = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? 'GET', headers: httpHeaders, search: url.search, body },
        context: async () => ({ principal, correlationId, forward: forwardOf(req, correlationId) }),
      });
      await sendApolloResponse(res, response, headers, true);
    } catch (error) {
      const retryAfter: Record<string, string> = error instanceof DomainError && error.options.retryAfterSeconds ? { 'retry-after': String(error.options.retryAfterSeconds) } : {};
      if (!(error instanceof DomainError)) logger.error({ err: error, correlationId }, 'gateway request failed');
      sendError(res, error, correlationId, { ...headers, ...retryAfter });
    }
  };

  let healthCache: { at: number; status: number; body: unknown } | null = null;
  const health = async (): Promise<{ status: number; body: unknown }> => {
    if (healthCache && Date.now() - healthCache.at < 1000) return healthCache;
    const checks = await Promise.all(
      declared.map(async ({ name, url }) => {
        const target = new URL(overrides[name.toLowerCase()] ?? url);
        target.pathname = target.pathname.replace(/\/graphql$/, '') + '/health';
        try {
          const response = await fetch(target, { signal: AbortSignal.timeout(2000) });
          return { name, ok: response.ok, detail: (await response.json()) as unknown };
        } catch (error) {
          return { name, ok: false, detail: (error as Error).message };
        }
      }),
    );
    const own = options.engines ? await options.engines() : {};
    const ownOk = Object.values(own).every((e) => e.status === 'up');
    const ok = apiSchema !== null && ownOk && checks.every((c) => c.ok);
    // Engines by process: the gateway's own, then each subgraph's as its /health reported them.
    const enginesOf = (detail: unknown): unknown => (detail && typeof detail === 'object' && 'engines' in detail ? (detail as { engines: unknown }).engines : { unreachable: String(detail) });
    const engines = { gateway: own, ...Object.fromEntries(checks.map((c) => [c.name, enginesOf(c.detail)])) };
    healthCache = { at: Date.now(), status: ok ? 200 : 503, body: { status: ok ? 'ok' : apiSchema === null ? 'starting' : 'degraded', subgraphs: Object.fromEntries(checks.map((c) => [c.name, c.ok ? 'up' : 'down'])), engines } };
    return healthCache;
  };

  return {
    supergraphSdl: options.supergraphSdl,
    verifier: options.verifier,
    get apiSchema() {
      return apiSchema;
    },
    async handle(req, res) {
      const path = (req.url ?? '/').split('?')[0];
      try {
        if (path === '/graphql' || path === '/') {
          await handleGraphQL(req, res);
        } else if (path === '/health') {
          const { status, body } = await health();
          sendJson(res, status, body);
        } else if (path === '/metrics') {
          res.setHeader('content-type', registry.contentType);
          res.end(await registry.metrics());
        } else if (path === '/.well-known/jwks.json' && options.jwks) {
          sendJson(res, 200, await options.jwks(), { 'cache-control': 'public, max-age=300' });
        } else {
          sendJson(res, 404, { error: 'not found', hint: 'The GraphQL endpoint is /graphql.' });
        }
      } catch (error) {
        sendError(res, error, correlationIdOf(req));
      }
    },
    attach(server) {
      server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        const path = (req.url ?? '/').split('?')[0];
        if (path !== '/graphql' || !upgrade) {
          socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
          return;
        }
        upgrade.handleUpgrade(req, socket, head);
      });
    },
    setUpgradeHandler(handler) {
      upgrade = handler;
    },
    async execute(query, variables, context) {
      const response = await apollo.executeOperation({ query, variables }, { contextValue: context });
      if (response.body.kind !== 'single') throw new Error('incremental delivery is not used for refetches');
      return response.body.singleResult as { data?: Record<string, unknown> | null; errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }> };
    },
    async start() {
      await apollo.start();
    },
    async stop() {
      await upgrade?.close();
      await apollo.stop();
      await Promise.all([...sources.values()].map((s) => s.close()));
    },
  };
};

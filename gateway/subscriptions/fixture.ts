import { createServer, type IncomingMessage, type Server } from 'node:http';
import { composeServices } from '@apollo/composition';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { GraphQLError, parse } from 'graphql';
import { exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { createTokenVerifier, issueAccessToken, type Principal, type TokenVerifier } from '../../platform/auth/tokens.ts';
import type { Role } from '../../platform/auth/roles.ts';
import { loadConfig } from '../../platform/config.ts';
import type { EventEnvelope } from '../../platform/events/envelope.ts';
import { newId } from '../../platform/ids.ts';
import { createLogger } from '../../platform/logger.ts';
import { createGateway, type Gateway } from '../index.ts';

/**
 * A two-subgraph test federation for the subscription engine (tests and bench), on loopback:
 * - `events` owns `TimelineEvent` and `Alert`, declares `Subscription.timeline` / `Subscription.alerts`
 *   with the composed `@live` directive, and answers the refetch fields `timelineEvent(id)` / `alert(id)`;
 *   its privacy rule: an event of another tenant is NOT_FOUND, a `restricted` event is FORBIDDEN to
 *   anyone without the ADMIN role.
 * - `accounts` contributes `TimelineEvent.accountName` (a field from a second subgraph).
 */

const LIVE_LINK = `
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.11", import: ["@key", "@composeDirective"])
    @link(url: "https://cognitive-mesh.dev/live/v1.0", import: ["@live"])
    @composeDirective(name: "@live")
  directive @live(topics: [String!]!, types: [String!], refetch: String!) on FIELD_DEFINITION
`;

export const EVENTS_SDL = `${LIVE_LINK}
  type TimelineEvent @key(fields: "id") {
    id: ID!
    kind: String!
    summary: String!
    blob(bytes: Int = 16): String!
    "Always fails with NOTE_UNAVAILABLE: a partial result (data plus errors) for the engine's error path."
    unavailableNote: String
  }
  type Alert @key(fields: "id") {
    id: ID!
    teamId: ID!
    severity: String!
    message: String!
  }
  type Query {
    timelineEvent(id: ID!): TimelineEvent
    alert(id: ID!): Alert
  }
  type Subscription {
    timeline(kinds: [String!], after: ID): TimelineEvent! @live(topics: ["org_events", "support_events"], refetch: "timelineEvent")
    alerts(teamId: ID, severities: [String!], after: ID): Alert! @live(topics: ["impact_events"], types: ["impact.alert.raised"], refetch: "alert")
  }
`;

export const ACCOUNTS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.11", import: ["@key"])
  type TimelineEvent @key(fields: "id") {
    id: ID!
    accountName: String!
  }
`;

export interface StoredEvent {
  id: string;
  tenantId: string;
  kind: string;
  summary: string;
  restricted?: boolean;
  teamId?: string;
  severity?: string;
}

interface SubgraphContext {
  principal: Principal | null;
}

const principalOf = async (verifier: TokenVerifier, req: IncomingMessage): Promise<Principal | null> => {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match) return null;
  return verifier.verify(match[1]).catch(() => null);
};

const serve = async (schemaSdl: string, resolvers: Record<string, unknown>, verifier: TokenVerifier): Promise<{ url: string; stop(): Promise<void> }> => {
  const apollo = new ApolloServer<SubgraphContext>({ schema: buildSubgraphSchema({ typeDefs: parse(schemaSdl), resolvers: resolvers as never }), plugins: [ApolloServerPluginInlineTraceDisabled()] });
  await apollo.start();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const headers = new HeaderMap();
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
        const raw = Buffer.concat(chunks).toString('utf8');
        const response = await apollo.executeHTTPGraphQLRequest({
          httpGraphQLRequest: { method: req.method ?? 'POST', headers, search: '', body: raw ? (JSON.parse(raw) as unknown) : {} },
          context: async () => ({ principal: await principalOf(verifier, req) }),
        });
        res.statusCode = response.status ?? 200;
        for (const [k, v] of response.headers) res.setHeader(k, v);
        if (response.body.kind === 'complete') res.end(response.body.string);
        else {
          for await (const chunk of response.body.asyncIterator) res.write(chunk);
          res.end();
        }
      })().catch((error: unknown) => {
        res.statusCode = 500;
        res.end(JSON.stringify({ errors: [{ message: (error as Error).message }] }));
      });
    });
  });
  server.keepAliveTimeout = 65_000;
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await apollo.stop();
    },
  };
};

export const composeTestSupergraph = (urls: { events: string; accounts: string } = { events: 'http://127.0.0.1:1/graphql', accounts: 'http://127.0.0.1:2/graphql' }): string => {
  const result = composeServices([
    { name: 'events', url: urls.events, typeDefs: parse(EVENTS_SDL) },
    { name: 'accounts', url: urls.accounts, typeDefs: parse(ACCOUNTS_SDL) },
  ]);
  if (result.errors) throw new Error(`composition failed: ${result.errors.map((e) => e.message).join('; ')}`);
  return result.supergraphSdl;
};

export interface TestFederation {
  gateway: Gateway;
  supergraphSdl: string;
  /** The test subgraphs' data: the refetch reads it, so publish the event here before putting it on the bus. */
  events: Map<string, StoredEvent>;
  /** How many refetches the `events` subgraph answered (entity + root fields). */
  subgraphCalls: { count: number };
  token(tenantId: string, roles?: Role[], ttlSeconds?: number): Promise<string>;
  /** A token signed by a key the gateway does not know. */
  forgedToken(tenantId: string): Promise<string>;
  /** Stores an event and returns its envelope (not yet published). */
  event(tenantId: string, input: { kind: string; topic?: string; type?: string; restricted?: boolean; teamId?: string; severity?: string; typename?: string }): EventEnvelope;
  stop(): Promise<void>;
}

const SETTINGS = { issuer: 'https://mesh.test', audience: 'cognitive-mesh' };

const signingKey = async (): Promise<{ kid: string; alg: 'RS256'; privateKey: CryptoKey; publicJwk: Awaited<ReturnType<typeof exportJWK>> }> => {
  const pair = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const kid = newId();
  return { kid, alg: 'RS256', privateKey: pair.privateKey, publicJwk: { ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' } };
};

/** Starts both test subgraphs and a real gateway over them (loopback, ephemeral ports). */
export const startTestFederation = async (): Promise<TestFederation> => {
  const key = await signingKey();
  const forger = await signingKey();
  const verifier = createTokenVerifier(SETTINGS, { jwks: { keys: [key.publicJwk] } });
  const events = new Map<string, StoredEvent>();
  const subgraphCalls = { count: 0 };

  const visible = (id: string, ctx: SubgraphContext): StoredEvent | null => {
    const stored = events.get(id);
    if (!ctx.principal) throw new GraphQLError('Sign in first', { extensions: { code: 'UNAUTHENTICATED' } });
    if (!stored || stored.tenantId !== ctx.principal.tenantId) throw new GraphQLError('Event not found', { extensions: { code: 'NOT_FOUND' } });
    if (stored.restricted && !ctx.principal.roles.includes('ADMIN')) throw new GraphQLError('Restricted event', { extensions: { code: 'FORBIDDEN' } });
    return stored;
  };
  const eventsServer = await serve(
    EVENTS_SDL,
    {
      Query: {
        timelineEvent: (_: unknown, args: { id: string }, ctx: SubgraphContext) => {
          subgraphCalls.count += 1;
          return visible(args.id, ctx);
        },
        alert: (_: unknown, args: { id: string }, ctx: SubgraphContext) => {
          subgraphCalls.count += 1;
          const stored = visible(args.id, ctx);
          return stored ? { id: stored.id, teamId: stored.teamId ?? '', severity: stored.severity ?? 'LOW', message: stored.summary } : null;
        },
      },
      TimelineEvent: {
        __resolveReference: (ref: { id: string }, ctx: SubgraphContext) => visible(ref.id, ctx),
        blob: (_: unknown, args: { bytes: number }) => 'x'.repeat(Math.min(args.bytes, 1 << 20)),
        unavailableNote: () => {
          throw new GraphQLError('Note unavailable', { extensions: { code: 'NOTE_UNAVAILABLE' } });
        },
      },
    },
    verifier,
  );
  const accountsServer = await serve(
    ACCOUNTS_SDL,
    {
      TimelineEvent: {
        __resolveReference: (ref: { id: string }, ctx: SubgraphContext) => ({ id: ref.id, tenant: ctx.principal?.tenantId ?? '' }),
        accountName: (parent: { tenant: string }) => `Account of ${parent.tenant}`,
      },
    },
    verifier,
  );
  const supergraphSdl = composeTestSupergraph({ events: eventsServer.url, accounts: accountsServer.url });
  const config = loadConfig({ NODE_ENV: 'test', MESH_DATA_DIR: '/tmp/mesh-subscriptions-unused' });
  const gateway = createGateway({ supergraphSdl, config, logger: createLogger('silent'), verifier });
  await gateway.start();

  return {
    gateway,
    supergraphSdl,
    events,
    subgraphCalls,
    async token(tenantId, roles = ['ADMIN'], ttlSeconds = 3600) {
      return (await issueAccessToken(key, SETTINGS, { subject: newId(), kind: 'user', tenantId, roles, scopes: ['org:read'], ttlSeconds })).token;
    },
    async forgedToken(tenantId) {
      return (await issueAccessToken(forger, SETTINGS, { subject: newId(), kind: 'user', tenantId, roles: ['ADMIN'], scopes: [], ttlSeconds: 3600 })).token;
    },
    event(tenantId, input) {
      const id = newId();
      events.set(id, { id, tenantId, kind: input.kind, summary: `${input.kind} ${id}`, restricted: input.restricted, teamId: input.teamId, severity: input.severity });
      return {
        id,
        type: input.type ?? input.kind,
        topic: input.topic ?? 'org_events',
        tenantId,
        subject: { typename: input.typename ?? 'TimelineEvent', id },
        actor: { id: 'system', kind: 'system' },
        occurredAt: new Date().toISOString(),
        correlationId: newId(),
        payload: {},
        provenance: {} as EventEnvelope['provenance'],
        schemaVersion: 1,
      };
    },
    async stop() {
      await gateway.stop();
      await eventsServer.stop();
      await accountsServer.stop();
    },
  };
};

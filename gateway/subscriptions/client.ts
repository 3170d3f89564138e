import { createServer, type Server } from 'node:http';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { Gateway } from '../index.ts';
import type { SubscriptionEngine } from './engine.ts';

/** Test and bench helpers: a loopback HTTP server for a gateway + engine, and a recording graphql-ws client. */

export const serveEngine = async (gateway: Gateway, engine: SubscriptionEngine): Promise<{ url: string; server: Server; stop(): Promise<void> }> => {
  const server = createServer((req, res) => void gateway.handle(req, res));
  server.on('upgrade', (req, socket, head) => {
    if ((req.url ?? '/').split('?')[0] !== '/graphql') return void socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
    engine.handleUpgrade(req, socket, head);
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  return {
    url: `ws://127.0.0.1:${port}/graphql`,
    server,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

export interface Recording {
  messages: Array<{ data?: Record<string, unknown> | null; errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }> }>;
  /** Errors the subscription ended with (GraphQL errors or a CloseEvent). */
  failure: unknown;
  closed: { code: number; reason: string } | null;
  completed: boolean;
  client: Client;
  dispose(): Promise<void>;
}

/** Waits (bounded) until `predicate` holds. */
export const waitUntil = async (predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> => {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** Subscribes with graphql-ws and records everything; resolves once the server acknowledged the connection (or closed it). */
export const record = async (url: string, token: string | null, query: string, variables: Record<string, unknown> = {}): Promise<Recording> => {
  let acked = false;
  const recording: Recording = {
    messages: [],
    failure: null,
    closed: null,
    completed: false,
    client: createClient({
      url,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
      connectionParams: token === null ? {} : { authorization: `Bearer ${token}` },
      on: {
        connected: () => {
          acked = true;
        },
        closed: (event) => {
          const e = event as { code: number; reason: string };
          recording.closed = { code: e.code, reason: String(e.reason) };
        },
      },
    }),
    dispose: async () => {
      await recording.client.dispose();
    },
  };
  recording.client.subscribe(
    { query, variables },
    {
      next: (message) => void recording.messages.push(message as Recording['messages'][number]),
      error: (error) => {
        recording.failure = error;
      },
      complete: () => {
        recording.completed = true;
      },
    },
  );
  await waitUntil(() => acked || recording.closed !== null || recording.failure !== null, 'connection ack');
  return recording;
};

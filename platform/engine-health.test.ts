import { createServer as createHttpServer } from 'node:http';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { describe, expect, it, jest } from '@jest/globals';
import { parse } from 'graphql';
import { createEngineMonitor, createErrorRecorder, type EngineHealth, type EngineProbe, type EngineState } from './engine-health.ts';
import { createSubgraphDeps, listen } from './runtime.ts';
import { createSubgraphServer } from './server.ts';
import { createTestKernel } from './testing/harness.ts';
import { createNeo4jGraph } from './graph/neo4j.ts';
import { newId } from './ids.ts';
import { createMongoStore } from './store/mongo.ts';

jest.setTimeout(60_000);

/** A probe whose answers the test scripts: a health value, a thrown error, or never answering. */
const scripted = (engine: string) => {
  let next: () => Promise<EngineHealth> = async () => ({ ok: true, detail: `${engine} fine` });
  const probe: EngineProbe = { engine, health: () => next() };
  return {
    probe,
    answer(health: EngineHealth) {
      next = async () => health;
    },
    fail(message: string) {
      next = async () => {
        throw new Error(message);
      };
    },
    hang() {
      next = () => new Promise<EngineHealth>(() => undefined);
    },
  };
};

describe('engine monitor', () => {
  it('reports kind and up/down per port, and keeps the last error after the engine recovers', async () => {
    let clock = Date.parse('2026-11-24T01:00:00.000Z');
    const monitor = createEngineMonitor({ timeoutMs: 50, now: () => new Date(clock) });
    const store = scripted('mongo');
    const bus = scripted('kafka');

    const first = await monitor.check({ store: store.probe, bus: bus.probe });
    expect(first).toEqual({
      store: { kind: 'mongo', status: 'up', detail: 'mongo fine', lastError: null, checkedAt: '2026-11-24T01:00:00.000Z' },
      bus: { kind: 'kafka', status: 'up', detail: 'kafka fine', lastError: null, checkedAt: '2026-11-24T01:00:00.000Z' },
    });

    clock += 1000;
    store.fail('connection refused');
    bus.answer({ ok: false, detail: 'kafka 127.0.0.1:9092: no leader' });
    const down = await monitor.check({ store: store.probe, bus: bus.probe });
    expect(down.store).toMatchObject({ status: 'down', detail: 'mongo: connection refused', lastError: { message: 'mongo: connection refused', at: '2026-11-24T01:00:01.000Z' } });
    expect(down.bus).toMatchObject({ status: 'down', lastError: { message: 'kafka 127.0.0.1:9092: no leader', at: '2026-11-24T01:00:01.000Z' } });

    clock += 1000;
    store.hang();
    const hung = await monitor.check({ store: store.probe });
    expect(hung.store).toMatchObject({ status: 'down', lastError: { message: 'mongo: no answer to the health probe within 50 ms', at: '2026-11-24T01:00:02.000Z' } });

    clock += 1000;
    store.answer({ ok: true, detail: 'mongo back' });
    bus.answer({ ok: true, detail: 'kafka back' });
    const recovered = await monitor.check({ store: store.probe, bus: bus.probe });
    expect(recovered.store).toEqual({ kind: 'mongo', status: 'up', detail: 'mongo back', lastError: { message: 'mongo: no answer to the health probe within 50 ms', at: '2026-11-24T01:00:02.000Z' }, checkedAt: '2026-11-24T01:00:03.000Z' });
    expect(recovered.bus.lastError).toEqual({ message: 'kafka 127.0.0.1:9092: no leader', at: '2026-11-24T01:00:01.000Z' });
  });

  it('surfaces an error the adapter observed between probes, the most recent one winning', async () => {
    let clock = Date.parse('2026-11-24T02:00:00.000Z');
    const monitor = createEngineMonitor({ now: () => new Date(clock) });
    const recorder = createErrorRecorder(() => new Date(clock));
    const probe: EngineProbe = { engine: 'kafka', health: async () => ({ ok: true, detail: 'kafka ok', lastError: recorder.last }) };
    expect((await monitor.check({ bus: probe })).bus.lastError).toBeNull();
    clock += 5000;
    recorder.record(new Error('consumer group rebalanced away'));
    clock += 5000;
    expect((await monitor.check({ bus: probe })).bus).toMatchObject({ status: 'up', lastError: { message: 'consumer group rebalanced away', at: '2026-11-24T02:00:05.000Z' } });
  });
});

describe("a subgraph's /health", () => {
  it('answers 200 with each engine up, 503 naming the engine that is down, and keeps its last error after recovery', async () => {
    const { kernel, cleanup } = await createTestKernel();
    const deps = await createSubgraphDeps(kernel, 'probe');
    const realGraph = deps.graph;
    let graphDown: string | null = null;
    deps.graph = Object.assign(Object.create(realGraph) as typeof realGraph, {
      engine: realGraph.engine,
      health: async (): Promise<EngineHealth> => (graphDown ? { ok: false, detail: graphDown } : realGraph.health()),
    });
    const typeDefs = parse(`
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])
      scalar DateTime
      type Provenance { origin: String signature: String }
      type Query { ping: String }
    `);
    const server = createSubgraphServer({ name: 'probe', typeDefs, resolvers: { Query: { ping: () => 'pong' } } }, deps);
    await server.start();
    const http = createHttpServer((req, res) => void server.handle(req, res));
    const port = await listen(http, 0, '127.0.0.1');
    type Body = { status: string; subgraph: string; engines: Record<'store' | 'graph' | 'bus', EngineState> };
    const health = async (): Promise<{ status: number; body: Body }> => {
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      return { status: response.status, body: (await response.json()) as Body };
    };
    try {
      const up = await health();
      expect(up.status).toBe(200);
      expect(up.body.status).toBe('ok');
      expect(Object.fromEntries(Object.entries(up.body.engines).map(([k, v]) => [k, [v.kind, v.status, v.lastError]]))).toEqual({ store: ['nedb', 'up', null], graph: ['graphology', 'up', null], bus: ['memory', 'up', null] });

      graphDown = 'graphology: snapshot directory unreadable';
      const down = await health();
      expect(down.status).toBe(503);
      expect(down.body.status).toBe('degraded');
      expect(down.body.engines.graph).toMatchObject({ kind: 'graphology', status: 'down', lastError: { message: 'graphology: snapshot directory unreadable' } });
      expect(down.body.engines.store.status).toBe('up');

      graphDown = null;
      const back = await health();
      expect(back.status).toBe(200);
      expect(back.body.engines.graph).toMatchObject({ status: 'up', lastError: { message: 'graphology: snapshot directory unreadable' } });
    } finally {
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await server.stop();
      await deps.relay.stop();
      await realGraph.close();
      await deps.store.close();
      await kernel.bus.close();
      await cleanup();
    }
  });
});

/** A loopback TCP proxy that can be cut (refusing and dropping connections) and restored on the same port. */
const tcpProxy = async (target: { host: string; port: number }) => {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  const open = () =>
    new Promise<void>((resolve, reject) => {
      const next = createServer((client) => {
        const upstream = connect(target.port, target.host);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => undefined);
        }
        client.pipe(upstream);
        upstream.pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      next.once('error', reject);
      next.listen(port, '127.0.0.1', () => {
        const address = next.address();
        port = typeof address === 'object' && address ? address.port : port;
        server = next;
        resolve();
      });
    });
  await open();
  return {
    get port() {
      return port;
    },
    async cut() {
      const current = server;
      server = null;
      for (const s of sockets) s.destroy();
      if (current) await new Promise<void>((resolve) => current.close(() => resolve()));
    },
    restore: open,
  };
};

const hostPort = (uri: string, fallbackPort: number): { host: string; port: number } => {
  const url = new URL(uri);
  return { host: url.hostname, port: Number(url.port || fallbackPort) };
};

const eventually = async (what: string, check: () => Promise<boolean>, timeoutMs = 40_000): Promise<void> => {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
};

(process.env.MONGODB_URI ? describe : describe.skip)('engine health against a real MongoDB (through a proxy that is cut and restored)', () => {
  it('goes down with the error, and back up keeping it', async () => {
    const proxy = await tcpProxy(hostPort(process.env.MONGODB_URI ?? '', 27017));
    const store = await createMongoStore({ uri: `mongodb://127.0.0.1:${proxy.port}/?directConnection=true`, name: `health_${newId().toLowerCase()}`, serverSelectionTimeoutMS: 2000 });
    const monitor = createEngineMonitor({ timeoutMs: 4000 });
    try {
      expect((await monitor.check({ store })).store).toMatchObject({ kind: 'mongo', status: 'up', lastError: null });
      await proxy.cut();
      await eventually('mongo reported down', async () => (await monitor.check({ store })).store.status === 'down');
      const down = (await monitor.check({ store })).store;
      expect(down.lastError?.message).toMatch(/\S+/);
      await proxy.restore();
      await eventually('mongo reported up again', async () => (await monitor.check({ store })).store.status === 'up');
      const up = (await monitor.check({ store })).store;
      expect(up.lastError).not.toBeNull();
    } finally {
      await proxy.restore().catch(() => undefined);
      await store.close();
      await proxy.cut();
    }
  });
});

(process.env.NEO4J_URI ? describe : describe.skip)('engine health against a real Neo4j (through a proxy that is cut and restored)', () => {
  it('goes down with the error, and back up keeping it', async () => {
    const proxy = await tcpProxy(hostPort(process.env.NEO4J_URI ?? '', 7687));
    const graph = await createNeo4jGraph({ uri: `bolt://127.0.0.1:${proxy.port}`, user: process.env.NEO4J_USER, password: process.env.NEO4J_PASSWORD, namespace: `health-${newId().toLowerCase()}`, connectTimeoutMs: 2000 });
    const monitor = createEngineMonitor({ timeoutMs: 4000 });
    try {
      expect((await monitor.check({ graph })).graph).toMatchObject({ kind: 'neo4j', status: 'up', lastError: null });
      await proxy.cut();
      await eventually('neo4j reported down', async () => (await monitor.check({ graph })).graph.status === 'down');
      expect((await monitor.check({ graph })).graph.lastError?.message).toMatch(/ECONNREFUSED|connect/i);
      await proxy.restore();
      await eventually('neo4j reported up again', async () => (await monitor.check({ graph })).graph.status === 'up');
      expect((await monitor.check({ graph })).graph.lastError?.message).toMatch(/ECONNREFUSED|connect/i);
    } finally {
      await proxy.restore().catch(() => undefined);
      await graph.close();
      await proxy.cut();
    }
  });
});

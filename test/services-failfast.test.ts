import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jest } from '@jest/globals';
import { closedPort, spawnService, stopService, type ServiceProcess } from './services.ts';

/**
 * Services mode fails fast and says why: a subgraph or gateway process started with a wrong or
 * unreachable engine address exits non-zero at start, with a message naming the variable to fix.
 * Needs no engines (the addresses point at closed loopback ports or are malformed).
 */
jest.setTimeout(60_000);

let dataDir: string;
const started: ServiceProcess[] = [];
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'mesh-failfast-'));
});
afterAll(async () => {
  await Promise.all(started.map((s) => stopService(s, 1000)));
  await rm(dataDir, { recursive: true, force: true });
});

/** Runs an entry point with `env` until it exits; returns its exit code and everything it printed. */
const runUntilExit = async (entry: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> => {
  const service = spawnService(entry, entry, args, { NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', MESH_DATA_DIR: dataDir, ...env });
  started.push(service);
  const { code } = await service.exited;
  return { code, output: service.output() };
};

describe('services mode: a wrong or unreachable engine address fails the start, naming the variable', () => {
  it('MONGODB_URI pointing at a closed port', async () => {
    const port = await closedPort();
    const { code, output } = await runUntilExit('subgraphs/identity/main.ts', [], { MESH_STORE: 'mongo', MONGODB_URI: `mongodb://127.0.0.1:${port}` });
    expect(code).toBe(1);
    expect(output).toContain(`identity failed to start: MONGODB_URI: cannot reach MongoDB at mongodb://127.0.0.1:${port}`);
  });

  it('MONGODB_URI that is not a MongoDB URL, and MESH_STORE=mongo without it', async () => {
    const wrong = await runUntilExit('subgraphs/presales/main.ts', [], { MESH_STORE: 'mongo', MONGODB_URI: 'http://127.0.0.1:27017' });
    expect(wrong.code).toBe(2);
    expect(wrong.output).toContain('Configuration error: MONGODB_URI: expected a mongodb: or mongodb+srv: URL');
    const absent = await runUntilExit('subgraphs/presales/main.ts', [], { MESH_STORE: 'mongo' });
    expect(absent.code).toBe(2);
    expect(absent.output).toContain('Configuration error: MONGODB_URI: MESH_STORE=mongo needs MONGODB_URI');
  });

  it('KAFKA_BROKERS that is garbage, and KAFKA_BROKERS pointing at a closed port', async () => {
    const garbage = await runUntilExit('subgraphs/identity/main.ts', [], { MESH_BUS: 'kafka', KAFKA_BROKERS: 'this is not;a broker list' });
    expect(garbage.code).toBe(2);
    expect(garbage.output).toContain('Configuration error: KAFKA_BROKERS: expected host:port entries');
    const port = await closedPort();
    const closed = await runUntilExit('subgraphs/identity/main.ts', [], { MESH_BUS: 'kafka', KAFKA_BROKERS: `127.0.0.1:${port}` });
    expect(closed.code).toBe(1);
    expect(closed.output).toContain(`identity failed to start: KAFKA_BROKERS: cannot reach Kafka at 127.0.0.1:${port}`);
  });

  it('NEO4J_URI pointing at a closed port', async () => {
    const port = await closedPort();
    const { code, output } = await runUntilExit('subgraphs/impact/main.ts', [], { MESH_GRAPH: 'neo4j', NEO4J_URI: `bolt://127.0.0.1:${port}` });
    expect(code).toBe(1);
    expect(output).toContain(`impact failed to start: Neo4j is unreachable at NEO4J_URI=bolt://127.0.0.1:${port}`);
  });

  it('the gateway, with KAFKA_BROKERS pointing at a closed port', async () => {
    const port = await closedPort();
    const { code, output } = await runUntilExit('gateway/main.ts', ['--supergraph', 'supergraph.graphql', '--port', '0'], { MESH_BUS: 'kafka', KAFKA_BROKERS: `127.0.0.1:${port}` });
    expect(code).toBe(1);
    expect(output).toContain(`Gateway failed to start: KAFKA_BROKERS: cannot reach Kafka at 127.0.0.1:${port}`);
  });

  it('MESH_NAMESPACE that could not name a database or topic', async () => {
    const { code, output } = await runUntilExit('subgraphs/identity/main.ts', [], { MESH_NAMESPACE: 'Bad Name!' });
    expect(code).toBe(2);
    expect(output).toContain('Configuration error: MESH_NAMESPACE: expected 1–40 lowercase letters');
  });
});

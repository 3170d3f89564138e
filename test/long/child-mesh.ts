import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitHealthy } from '../client.ts';

/**
 * The mesh as its own process, started the way `npm start` starts it (`node main.ts`, all-in-one,
 * embedded engines), on free loopback ports and a given data directory — for the suites that must
 * kill it (-9) or measure it without sharing a process with the load generator.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NODE = path.join(ROOT, 'node_modules/.bin/node');

const portFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/** A gateway port and a base for the seven subgraph ports (base+1 … base+7), all free now. */
export const freePorts = async (): Promise<{ port: number; subgraphBase: number }> => {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const ports = Array.from({ length: 9 }, (_, i) => base + i);
    const checks = await Promise.all(ports.map(portFree));
    if (checks.every(Boolean)) return { port: base, subgraphBase: base + 1 };
  }
  throw new Error('no free port range found');
};

export interface ChildMesh {
  child: ChildProcess;
  url: string;
  base: string;
  output(): string;
  /** SIGKILL: no shutdown hooks, no flushing. Resolves when the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM and wait (graceful shutdown). */
  stop(): Promise<void>;
}

export const ADMIN = { email: 'admin@long.test', password: 'long-admin-password' };

export const startChildMesh = async (dataDir: string, ports: { port: number; subgraphBase: number }, env: Record<string, string> = {}): Promise<ChildMesh> => {
  const child = spawn(NODE, ['main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: String(ports.port),
      HOST: '127.0.0.1',
      MESH_SUBGRAPH_PORT_BASE: String(ports.subgraphBase),
      MESH_DATA_DIR: dataDir,
      MESH_ADMIN_EMAIL: ADMIN.email,
      MESH_ADMIN_PASSWORD: ADMIN.password,
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => void (output = (output + chunk.toString()).slice(-20_000)));
  child.stderr?.on('data', (chunk: Buffer) => void (output = (output + chunk.toString()).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const base = `http://127.0.0.1:${ports.port}`;
  try {
    await waitHealthy(base, 60_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`the mesh did not become healthy: ${(error as Error).message}\n${output}`);
  }
  return {
    child,
    url: `${base}/graphql`,
    base,
    output: () => output,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
};

/** Runs a suite only under `npm run test:long` (MESH_LONG_TESTS=1). */
export const longDescribe = (name: string, body: () => void): void => (process.env.MESH_LONG_TESTS === '1' ? describe(name, body) : describe.skip(name, body));

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SUBGRAPH_PORTS, type SubgraphName } from '../platform/runtime.ts';

/**
 * Services mode for tests: every subgraph in its own OS process (`node subgraphs/<name>/main.ts`, as
 * docker compose runs them) and the gateway in another (`node gateway/main.ts --supergraph ...`), all on
 * 127.0.0.1 with ports the processes pick themselves (PORT=0; the URL is read from their log line).
 * Every child is tracked by PID and killed on every path: stop(), a failed start, and process exit.
 */

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SUBGRAPH_NAMES = Object.keys(SUBGRAPH_PORTS) as SubgraphName[];

/** Variables the engines need; the services suite skips unless all are set. */
export const ENGINE_VARIABLES = ['MONGODB_URI', 'NEO4J_URI', 'KAFKA_BROKERS'] as const;

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  /** Everything it wrote (stdout and stderr interleaved), kept for failure messages. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
const installExitHook = (): void => {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort (a crashed test run): SIGKILL every child still alive, by PID.
  process.once('exit', () => {
    for (const child of live) if (child.pid && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
  });
};

/** Spawns `node <entry> ...args` from the repository root with exactly `env` (plus PATH/HOME). */
export const spawnService = (name: string, entry: string, args: readonly string[], env: Record<string, string>): ServiceProcess => {
  installExitHook();
  const child = spawn(process.execPath, [entry, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let text = '';
  const append = (chunk: Buffer): void => {
    text += chunk.toString('utf8');
    if (text.length > 200_000) text = text.slice(-100_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
  return { name, child, output: () => text, exited };
};

/** Waits until `pattern` appears in the output; fails early, with the output, if the process exits. */
export const waitForOutput = async (service: ServiceProcess, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> => {
  const until = Date.now() + timeoutMs;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  void service.exited.then((e) => {
    exit = e;
  });
  for (;;) {
    const match = service.output().match(pattern);
    if (match) return match;
    if (exit) throw new Error(`${service.name} exited (${JSON.stringify(exit)}) before printing ${pattern}:\n${service.output().slice(-4000)}`);
    if (Date.now() > until) throw new Error(`${service.name} did not print ${pattern} within ${timeoutMs} ms:\n${service.output().slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

/** SIGTERM by PID, then SIGKILL after `graceMs` if it is still alive. Resolves once it has exited. */
export const stopService = async (service: ServiceProcess, graceMs = 10_000): Promise<void> => {
  const { child } = service;
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.pid && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
  }, graceMs);
  await service.exited;
  clearTimeout(timer);
};

export { closedPort } from './client.ts';

export interface ServicesMesh {
  /** The gateway's /graphql URL and its origin. */
  url: string;
  base: string;
  /** MESH_NAMESPACE of this run: databases `<ns>_<subgraph>`, topics `<ns>.<family>`, graph `<ns>/<subgraph>`. */
  namespace: string;
  dataDir: string;
  adminEmail: string;
  adminPassword: string;
  subgraphUrls: Record<SubgraphName, string>;
  processes(): ServiceProcess[];
  /** Stops one subgraph's process (SIGTERM, then SIGKILL after 10 s). */
  stopSubgraph(name: SubgraphName): Promise<void>;
  /** Starts a stopped subgraph again on its port. */
  startSubgraph(name: SubgraphName): Promise<void>;
  /** Stops one subgraph's process and starts a new one on the same port. */
  restartSubgraph(name: SubgraphName): Promise<void>;
  /** Stops every process; removes the data directory (keys) unless `keepData`. */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

const LISTENING = /"url":"(http:\/\/127\.0\.0\.1:\d+\/graphql)"[^\n]*subgraph listening/;

/**
 * Starts the supergraph in services mode on the engines the environment names (MONGODB_URI, NEO4J_URI,
 * NEO4J_USER/PASSWORD, KAFKA_BROKERS), with MESH_STORE=mongo MESH_GRAPH=neo4j MESH_BUS=kafka and a
 * fresh MESH_NAMESPACE and data directory (keys) per run, so runs never share data, topics or groups.
 * identity starts first (it creates the shared signing keys and the bootstrap admin), then the other
 * six at once, then the gateway over the composed supergraph with MESH_SUBGRAPH_URL_<NAME> overrides.
 */
export const startServicesMesh = async (extraEnv: Record<string, string> = {}, reuse?: { namespace: string; dataDir: string }): Promise<ServicesMesh> => {
  const missing = ENGINE_VARIABLES.filter((name) => !process.env[name]);
  if (missing.length) throw new Error(`services mode needs ${missing.join(', ')}: run \`npm run services:up\` and \`source testbed/target/env.sh\` (or point them at your engines)`);
  const namespace = reuse?.namespace ?? `e2e${randomBytes(5).toString('hex')}`;
  const dataDir = reuse?.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'mesh-services-')));
  const adminEmail = 'admin@services.test';
  const adminPassword = 'services-admin-password';
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    MESH_DATA_DIR: dataDir,
    MESH_NAMESPACE: namespace,
    MESH_STORE: 'mongo',
    MESH_GRAPH: 'neo4j',
    MESH_BUS: 'kafka',
    MONGODB_URI: process.env.MONGODB_URI ?? '',
    NEO4J_URI: process.env.NEO4J_URI ?? '',
    ...(process.env.NEO4J_USER ? { NEO4J_USER: process.env.NEO4J_USER } : {}),
    ...(process.env.NEO4J_PASSWORD ? { NEO4J_PASSWORD: process.env.NEO4J_PASSWORD } : {}),
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '',
    MESH_ADMIN_EMAIL: adminEmail,
    MESH_ADMIN_PASSWORD: adminPassword,
    ...extraEnv,
  };
  const subgraphs = new Map<SubgraphName, ServiceProcess>();
  const urls = {} as Record<SubgraphName, string>;
  let gateway: ServiceProcess | null = null;

  const startSubgraph = async (name: SubgraphName, port = 0): Promise<void> => {
    const service = spawnService(name, `subgraphs/${name}/main.ts`, [], { ...env, PORT: String(port) });
    subgraphs.set(name, service);
    urls[name] = (await waitForOutput(service, LISTENING))[1];
  };

  const stopAll = async (): Promise<void> => {
    const all = [...(gateway ? [gateway] : []), ...subgraphs.values()];
    await Promise.all(all.map((s) => stopService(s)));
  };

  try {
    await startSubgraph('identity');
    await Promise.all(SUBGRAPH_NAMES.filter((n) => n !== 'identity').map((n) => startSubgraph(n)));
    const overrides = Object.fromEntries(SUBGRAPH_NAMES.map((n) => [`MESH_SUBGRAPH_URL_${n.toUpperCase()}`, urls[n]]));
    gateway = spawnService('gateway', 'gateway/main.ts', ['--supergraph', 'supergraph.graphql', '--port', '0'], { ...env, ...overrides });
    const url = (await waitForOutput(gateway, /gateway listening on (http:\/\/127\.0\.0\.1:\d+\/graphql)/))[1];
    return {
      url,
      base: url.replace(/\/graphql$/, ''),
      namespace,
      dataDir,
      adminEmail,
      adminPassword,
      subgraphUrls: urls,
      processes: () => [...(gateway ? [gateway] : []), ...subgraphs.values()],
      async stopSubgraph(name) {
        const current = subgraphs.get(name);
        if (current) await stopService(current);
      },
      async startSubgraph(name) {
        await startSubgraph(name, Number(new URL(urls[name]).port));
      },
      async restartSubgraph(name) {
        const current = subgraphs.get(name);
        if (current) await stopService(current);
        await startSubgraph(name, Number(new URL(urls[name]).port));
      },
      async stop(options = {}) {
        await stopAll();
        if (!options.keepData) await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopAll();
    if (!reuse) await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
};

/** The subset of test/client.ts's TestMesh the end-to-end suites use, in services mode. */
export interface ServicesTestMesh {
  url: string;
  base: string;
  dataDir: string;
  adminEmail: string;
  adminPassword: string;
  services: ServicesMesh;
  /** Stops every process and starts them all again on the same data (same namespace, same keys). */
  restart(): Promise<ServicesTestMesh>;
  stop(options?: { keepData?: boolean }): Promise<void>;
}

/** `startTestMesh` for services mode: same fields, every subgraph its own process on the real engines. */
export const startServicesTestMesh = async (env: Record<string, string> = {}, reuse?: { namespace: string; dataDir: string }): Promise<ServicesTestMesh> => {
  const services = await startServicesMesh(env, reuse);
  return {
    url: services.url,
    base: services.base,
    dataDir: services.dataDir,
    adminEmail: services.adminEmail,
    adminPassword: services.adminPassword,
    services,
    async restart() {
      await services.stop({ keepData: true });
      return startServicesTestMesh(env, { namespace: services.namespace, dataDir: services.dataDir });
    },
    stop: (options) => services.stop(options),
  };
};

/** True when the end-to-end suites should run in services mode (MESH_E2E_MODE=services; see README). */
export const servicesMode = (): boolean => process.env.MESH_E2E_MODE === 'services';

/**
 * Shared benchmark helpers: GraphQL over undici, child processes, /proc CPU and memory readings,
 * percentiles, and the data seeded through the real API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { request } from 'undici';

export const ROOT = new URL('../', import.meta.url);
export const NODE = process.execPath;
export const QUICK = process.env.BENCH_QUICK === '1';
export const today = (): string => new Date().toISOString().slice(0, 10);
/** Where a benchmark writes its table: bench/results/<name>-<date>.md (`-quick` in quick mode, so a check never overwrites a full run). */
/** Writes a benchmark's markdown report to bench/results/<name>-<date>.md (…-quick.md in quick mode). */
export const writeResult = (name: string, report: string): void => {
  mkdirSync(new URL('bench/results/', ROOT), { recursive: true });
  writeFileSync(resultFile(name), report);
};

export const resultFile = (name: string): URL => new URL(`bench/results/${name}-${today()}${QUICK ? '-quick' : ''}.md`, ROOT);
export const machine = (): string => `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}), Node ${process.version}, ${os.platform()} ${os.release()}`;

export const percentile = (sorted: readonly number[], p: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : Number.NaN);
export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
export const fmt = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a');
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface GqlAnswer<T> {
  status: number;
  body: { data?: T | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

/** One GraphQL POST through undici's global dispatcher (keep-alive). */
export const gql = async <T = Record<string, unknown>>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<GqlAnswer<T>> => {
  const response = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.body.text();
  try {
    return { status: response.statusCode, body: JSON.parse(text) as GqlAnswer<T>['body'] };
  } catch {
    throw new Error(`non-JSON answer ${response.statusCode} from ${url}: ${text.slice(0, 300)}`);
  }
};

/** The data of an answer, or an error listing its GraphQL errors. */
export const dataOf = <T>(answer: GqlAnswer<T>, what: string): T => {
  if (answer.body.errors?.length || !answer.body.data) throw new Error(`${what} failed (HTTP ${answer.status}): ${JSON.stringify(answer.body.errors)}`);
  return answer.body.data;
};

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export const cpuSecondsOf = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
  return ticks / CLOCK_TICKS;
};
const CLOCK_TICKS = 100; // sysconf(_SC_CLK_TCK) on Linux x86-64 and arm64

/** Resident set size and its high-water mark in MB, from /proc/<pid>/status. */
export const memoryOf = (pid: number): { rssMb: number; peakMb: number } => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
};

/** The number of threads-group children of a process (to check a peer did not fork workers). */
export const childPidsOf = (pid: number): number[] => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

export interface Child {
  name: string;
  process: ChildProcess;
  pid: number;
  /** Everything the child printed (stdout and stderr), for diagnostics. */
  output(): string;
  /** Resolves with the first stdout line matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  stop(): Promise<void>;
}

/** Spawns `node <args>` from the repository root; output is kept for diagnostics. */
export const startChild = (name: string, args: string[], env: Record<string, string> = {}): Child => {
  const child = spawn(NODE, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const waiters: Array<{ pattern: RegExp; resolve: (m: RegExpExecArray) => void }> = [];
  const onData = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    if (output.length > 200_000) output = output.slice(-100_000);
    for (const waiter of [...waiters]) {
      const match = waiter.pattern.exec(output);
      if (match) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match);
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  return {
    name,
    process: child,
    pid: child.pid,
    output: () => output,
    waitFor(pattern, timeoutMs = 60_000) {
      const match = pattern.exec(output);
      if (match) return Promise.resolve(match);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name}: no ${pattern} within ${timeoutMs} ms; output:\n${output.slice(-3000)}`)), timeoutMs);
        const failOnExit = (): void => reject(new Error(`${name} exited before ${pattern}; output:\n${output.slice(-3000)}`));
        child.once('exit', failOnExit);
        waiters.push({
          pattern,
          resolve: (m) => {
            clearTimeout(timer);
            child.off('exit', failOnExit);
            resolve(m);
          },
        });
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
};

/** Waits until `url` answers a GraphQL `{ __typename }` with HTTP 200. */
export const waitForGraphQL = async (url: string, timeoutMs = 60_000): Promise<void> => {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const answer = await gql(url, '{ __typename }');
      if (answer.status === 200) return;
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await sleep(200);
  }
};

// ------------------------------------------------------------------------------------- seeding

export const SIGN_IN = 'mutation SignIn($input: SignInInput!) { signIn(input: $input) { accessToken } }';
const CREATE_ORG = 'mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { id } }';
const CREATE_USER = 'mutation($input: CreateUserInput!) { createUser(input: $input) { id } }';
const CREATE_CONFIG = 'mutation($input: CreateConfigInput!) { createConfig(input: $input) { id } }';
export const COMMIT_CONFIG = 'mutation Commit($input: CommitConfigInput!) { commitConfig(input: $input) { id number } }';
const DEPLOY_CONFIG = 'mutation($input: DeployConfigInput!) { deployConfig(input: $input) { id } }';

/**
 * A valid voice agent configuration document. `n` varies the voice speed (a MEDIUM-risk change that
 * needs no approval, so versions stay deployable); consecutive `n` give different documents.
 */
export const configDocument = (n: number | string): string =>
  JSON.stringify({
    schemaVersion: 1,
    productType: 'VOICEBOT',
    model: 'gpt-4o',
    systemPrompt: 'You are the Bench Co hotline voice agent. Answer briefly and cite the knowledge base.',
    tools: [],
    integrations: [],
    voice: { speed: typeof n === 'number' ? 0.5 + (n % 997) / 1000 : 1, clarity: 0.9, style: typeof n === 'number' ? 'calm' : `calm ${n}`, backgroundSound: null },
    escalationRules: [],
  });

export const signIn = async (url: string, email: string, password: string): Promise<string> =>
  dataOf(await gql<{ signIn: { accessToken: string } }>(url, SIGN_IN, { input: { email, password } }), `signIn ${email}`).signIn.accessToken;

export interface SeededTenant {
  organizationId: string;
  /** Access tokens of the tenant's users (an Owner first, then Members). */
  tokens: string[];
  userIds: string[];
  configIds: string[];
}

/**
 * Seeds one organization through the real API: `users` users (an Owner, then Members), `configs`
 * configurations with `versions` versions each, authored round-robin by the users, and optionally
 * `deployments` deployments to DEV spread over the configs.
 */
export const seedTenant = async (
  url: string,
  admin: { email: string; password: string },
  options: { name: string; users: number; configs: number; versions: number; deployments?: number },
): Promise<SeededTenant> => {
  const adminToken = await signIn(url, admin.email, admin.password);
  const organizationId = dataOf(await gql<{ createOrganization: { id: string } }>(url, CREATE_ORG, { input: { name: options.name } }, adminToken), 'createOrganization').createOrganization.id;
  const tokens: string[] = [];
  const userIds: string[] = [];
  const slug = options.name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  for (let i = 0; i < options.users; i++) {
    const email = `user${i}@${slug}.bench`;
    const created = dataOf(
      await gql<{ createUser: { id: string } }>(url, CREATE_USER, { input: { organizationId, email, name: `Bench User ${i}`, roles: [i === 0 ? 'OWNER' : 'MEMBER'], password: 'bench-password-1' } }, i === 0 ? adminToken : tokens[0]),
      'createUser',
    ).createUser;
    userIds.push(created.id);
    tokens.push(await signIn(url, email, 'bench-password-1'));
  }
  const configIds: string[] = [];
  let n = 0;
  for (let c = 0; c < options.configs; c++) {
    const token = tokens[c % tokens.length];
    const created = dataOf(await gql<{ createConfig: { id: string } }>(url, CREATE_CONFIG, { input: { name: `Assistant ${c}`, document: configDocument(n++) } }, token), 'createConfig');
    configIds.push(created.createConfig.id);
  }
  // Versions 2..N, interleaved over configs so authors differ within each config's history.
  for (let v = 2; v <= options.versions; v++) {
    await Promise.all(
      configIds.map(async (configId, c) => {
        const token = tokens[(c + v) % tokens.length];
        dataOf(await gql(url, COMMIT_CONFIG, { input: { configId, document: configDocument(1000 * v + c), message: `Revision ${v}` } }, token), 'commitConfig');
      }),
    );
  }
  for (let d = 0; d < (options.deployments ?? 0); d++) {
    const c = d % configIds.length;
    const version = Math.floor(d / configIds.length) + 1;
    const token = tokens[d % tokens.length];
    dataOf(await gql(url, DEPLOY_CONFIG, { input: { configId: configIds[c], version, environment: 'DEV' } }, token), `deployConfig ${c} v${version}`);
  }
  return { organizationId, tokens, userIds, configIds };
};

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startAllInOne, type AllInOne } from '../all-in-one.ts';
import { loadConfig } from '../platform/config.ts';
import { createLogger } from '../platform/logger.ts';

export interface GraphQLResult<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: { data?: T | null; errors?: Array<{ message: string; path?: Array<string | number>; extensions: Record<string, unknown> & { code: string; correlationId: string; hint: string } }> };
}

/** Sends one GraphQL request over HTTP to the real gateway. */
export const gql = async <T = Record<string, unknown>>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string, headers: Record<string, string> = {}): Promise<GraphQLResult<T>> => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: GraphQLResult<T>['body'];
  try {
    body = JSON.parse(text) as GraphQLResult<T>['body'];
  } catch {
    throw new Error(`non-JSON response ${response.status}: ${text.slice(0, 300)}`);
  }
  return { status: response.status, headers: response.headers, body };
};

/** Throws with the errors when a result has any; returns data. */
export const dataOf = <T>(result: GraphQLResult<T>): T => {
  if (result.body.errors?.length || !result.body.data) throw new Error(`GraphQL errors (HTTP ${result.status}): ${JSON.stringify(result.body.errors)}`);
  return result.body.data;
};

export interface TestMesh {
  mesh: AllInOne;
  url: string;
  base: string;
  dataDir: string;
  adminEmail: string;
  adminPassword: string;
  restart(): Promise<TestMesh>;
  stop(options?: { keepData?: boolean }): Promise<void>;
}

/** Starts the whole supergraph (all-in-one, embedded engines) on free loopback ports and a temp data dir. */
export const startTestMesh = async (env: Record<string, string> = {}, existingDataDir?: string): Promise<TestMesh> => {
  const dataDir = existingDataDir ?? (await mkdtemp(path.join(tmpdir(), 'mesh-e2e-')));
  const adminEmail = 'admin@e2e.test';
  const adminPassword = 'e2e-admin-password';
  const config = loadConfig({ NODE_ENV: 'test', MESH_DATA_DIR: dataDir, PORT: '0', MESH_ADMIN_EMAIL: adminEmail, MESH_ADMIN_PASSWORD: adminPassword, ...env });
  const mesh = await startAllInOne(config, createLogger(process.env.MESH_TEST_LOG ?? 'silent'), { subgraphPorts: 'ephemeral' });
  const url = mesh.url;
  const self: TestMesh = {
    mesh,
    url,
    base: url.replace(/\/graphql$/, ''),
    dataDir,
    adminEmail,
    adminPassword,
    async restart() {
      await mesh.stop();
      return startTestMesh(env, dataDir);
    },
    async stop(options = {}) {
      await mesh.stop();
      if (!options.keepData) await rm(dataDir, { recursive: true, force: true });
    },
  };
  return self;
};

/** Waits until GET /health answers 200 (bounded). */
export const waitHealthy = async (base: string, timeoutMs = 20_000): Promise<void> => {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${base}/health`).catch(() => null);
    if (response?.status === 200) return;
    if (Date.now() > until) throw new Error(`not healthy: ${response?.status} ${await response?.text()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

export const SIGN_IN = `mutation SignIn($input: SignInInput!) { signIn(input: $input) { accessToken refreshToken expiresAt user { id email roles } } }`;

export const signIn = async (url: string, email: string, password: string): Promise<{ accessToken: string; refreshToken: string; user: { id: string } }> => {
  const data = dataOf(await gql<{ signIn: { accessToken: string; refreshToken: string; user: { id: string } } }>(url, SIGN_IN, { input: { email, password } }));
  return data.signIn;
};

export const E2E_PASSWORD = 'a-long-password-1';

/** Platform admin: creates a client organization; returns its id. */
export const createOrganization = async (url: string, adminToken: string, name: string): Promise<string> =>
  dataOf(await gql<{ createOrganization: { id: string } }>(url, `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { id } }`, { input: { name } }, adminToken)).createOrganization.id;

/** Platform admin: creates a user (password E2E_PASSWORD) and signs them in. */
export const createSignedInUser = async (url: string, adminToken: string, input: { organizationId: string; email: string; roles: string[]; name?: string }): Promise<{ id: string; token: string }> => {
  const name = input.name ?? `User ${input.email.split('@')[0]}`;
  const created = dataOf(
    await gql<{ createUser: { id: string } }>(url, `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`, { input: { organizationId: input.organizationId, email: input.email, name, roles: input.roles, password: E2E_PASSWORD } }, adminToken),
  ).createUser;
  return { id: created.id, token: (await signIn(url, input.email, E2E_PASSWORD)).accessToken };
};

/** A loopback port nothing listens on (bound, then released). */
export const closedPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

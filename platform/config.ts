import path from 'node:path';

/** Which engine backs each port. Chosen by environment, never by code. */
export type StoreEngine = 'embedded' | 'mongo';
export type GraphEngine = 'embedded' | 'neo4j';
export type BusEngine = 'memory' | 'kafka';

export interface MeshConfig {
  env: 'development' | 'production' | 'test';
  dataDir: string;
  host: string;
  port: number;
  subgraphPortBase: number;
  logLevel: string;
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  adminEmail: string;
  adminPassword: string;
  /**
   * MESH_NAMESPACE: isolates one deployment on shared engines. Set, it prefixes MongoDB databases
   * (`<ns>_<subgraph>` instead of `mesh_<subgraph>`), Kafka topics and consumer groups (`<ns>.org_events`)
   * and Neo4j graph namespaces (`<ns>/<subgraph>`). Unset, names are the defaults.
   */
  namespace?: string;
  store: StoreEngine;
  mongodbUri?: string;
  graph: GraphEngine;
  neo4jUri?: string;
  neo4jUser?: string;
  neo4jPassword?: string;
  bus: BusEngine;
  kafkaBrokers?: string[];
  openaiApiKey?: string;
  openaiBaseUrl?: string;
  openaiModel: string;
  aiMonthlyTokenBudget: number;
  jwksUrl?: string;
  introspection: boolean;
  limits: {
    maxDepth: number;
    maxAliases: number;
    maxTokens: number;
    maxCost: number;
    maxBodyBytes: number;
    ratePerPrincipalPerMinute: number;
    ratePerTenantPerMinute: number;
    ratePerIpPerMinute: number;
  };
  /** Federated subscriptions (gateway/subscriptions): slow-consumer bounds and the replay window. */
  subscriptions: {
    /** Deliveries queued per subscription before the socket is closed with 4429. */
    queueLimit: number;
    /** Bytes buffered on a socket before it is closed with 4429. */
    maxBufferedBytes: number;
    /** Events kept per tenant for `after:` resumption. */
    replayPerTenant: number;
    /** Grace after a 4429 close before a peer that still does not read is disconnected. */
    closeGraceMs: number;
    /** Waits before re-asking for an event's subject that is not there yet (the owning read model may lag the bus). */
    notFoundRetriesMs: number[];
  };
}

/** A configuration problem: names the variable and says how to fix it. Thrown at start, never later. */
export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

type Env = Record<string, string | undefined>;

const int = (env: Env, name: string, fallback: number, min = 0): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new ConfigError(name, `expected an integer ≥ ${min}, got "${raw}"`);
  return value;
};

const intList = (env: Env, name: string, fallback: readonly number[], min = 0): number[] => {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return [...fallback];
  const values = raw.split(',').map((part) => Number(part.trim()));
  if (values.some((v) => !Number.isInteger(v) || v < min)) throw new ConfigError(name, `expected comma-separated integers ≥ ${min}, got "${raw}"`);
  return values;
};

const oneOf = <T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw new ConfigError(name, `expected one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
};

const url = (env: Env, name: string, protocols: string[]): string | undefined => {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `not a valid URL: "${raw}"`);
  }
  if (!protocols.includes(parsed.protocol)) throw new ConfigError(name, `expected a ${protocols.join(' or ')} URL, got "${parsed.protocol}"`);
  return raw;
};

/** Parses and validates the environment once. Every variable is documented in README. */
export const loadConfig = (env: Env = process.env): MeshConfig => {
  const mode = oneOf(env, 'NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const store = oneOf(env, 'MESH_STORE', ['embedded', 'mongo'] as const, 'embedded');
  const graph = oneOf(env, 'MESH_GRAPH', ['embedded', 'neo4j'] as const, 'embedded');
  const bus = oneOf(env, 'MESH_BUS', ['memory', 'kafka'] as const, 'memory');
  const mongodbUri = url(env, 'MONGODB_URI', ['mongodb:', 'mongodb+srv:']);
  const neo4jUri = url(env, 'NEO4J_URI', ['bolt:', 'neo4j:', 'bolt+s:', 'neo4j+s:', 'bolt+ssc:', 'neo4j+ssc:']);
  const kafkaBrokers = env.KAFKA_BROKERS ? env.KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean) : undefined;
  if (store === 'mongo' && !mongodbUri) throw new ConfigError('MONGODB_URI', 'MESH_STORE=mongo needs MONGODB_URI, e.g. mongodb://127.0.0.1:27017');
  if (graph === 'neo4j' && !neo4jUri) throw new ConfigError('NEO4J_URI', 'MESH_GRAPH=neo4j needs NEO4J_URI, e.g. bolt://127.0.0.1:7687');
  if (bus === 'kafka' && !kafkaBrokers?.length) throw new ConfigError('KAFKA_BROKERS', 'MESH_BUS=kafka needs KAFKA_BROKERS, e.g. 127.0.0.1:9092');
  for (const broker of kafkaBrokers ?? []) {
    if (!/^[\w.-]+:\d+$/.test(broker)) throw new ConfigError('KAFKA_BROKERS', `expected host:port entries, got "${broker}"`);
  }
  const namespace = env.MESH_NAMESPACE || undefined;
  if (namespace !== undefined && !/^[a-z][a-z0-9_-]{0,39}$/.test(namespace)) {
    throw new ConfigError('MESH_NAMESPACE', `expected 1–40 lowercase letters, digits, "_" or "-", starting with a letter, got "${namespace}"`);
  }
  const port = int(env, 'PORT', 4000, 0);
  return {
    env: mode,
    dataDir: path.resolve(env.MESH_DATA_DIR || '.data'),
    host: env.HOST || '127.0.0.1',
    port,
    subgraphPortBase: int(env, 'MESH_SUBGRAPH_PORT_BASE', 4101, 0),
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, mode === 'test' ? 'silent' : 'info'),
    issuer: env.MESH_ISSUER || 'https://cognitive-mesh.local',
    audience: env.MESH_AUDIENCE || 'cognitive-mesh',
    accessTokenTtlSeconds: int(env, 'MESH_ACCESS_TOKEN_TTL', 3600, 1),
    refreshTokenTtlSeconds: int(env, 'MESH_REFRESH_TOKEN_TTL', 30 * 24 * 3600, 1),
    adminEmail: env.MESH_ADMIN_EMAIL || 'admin@mesh.local',
    adminPassword: env.MESH_ADMIN_PASSWORD || 'change-me-now',
    namespace,
    store,
    mongodbUri,
    graph,
    neo4jUri,
    neo4jUser: env.NEO4J_USER,
    neo4jPassword: env.NEO4J_PASSWORD,
    bus,
    kafkaBrokers,
    openaiApiKey: env.OPENAI_API_KEY || undefined,
    openaiBaseUrl: url(env, 'OPENAI_BASE_URL', ['http:', 'https:']),
    openaiModel: env.OPENAI_MODEL || 'gpt-4o-mini',
    aiMonthlyTokenBudget: int(env, 'MESH_AI_MONTHLY_TOKEN_BUDGET', 2_000_000, 0),
    jwksUrl: url(env, 'MESH_JWKS_URL', ['http:', 'https:']),
    introspection: env.MESH_INTROSPECTION ? env.MESH_INTROSPECTION === 'true' : mode !== 'production',
    limits: {
      maxDepth: int(env, 'MESH_MAX_DEPTH', 12, 1),
      maxAliases: int(env, 'MESH_MAX_ALIASES', 30, 1),
      maxTokens: int(env, 'MESH_MAX_TOKENS', 5000, 10),
      maxCost: int(env, 'MESH_MAX_COST', 50_000, 1),
      maxBodyBytes: int(env, 'MESH_MAX_BODY_BYTES', 256 * 1024, 1024),
      ratePerPrincipalPerMinute: int(env, 'MESH_RATE_PRINCIPAL_PER_MIN', 6000, 1),
      ratePerTenantPerMinute: int(env, 'MESH_RATE_TENANT_PER_MIN', 30000, 1),
      ratePerIpPerMinute: int(env, 'MESH_RATE_IP_PER_MIN', 20000, 1),
    },
    subscriptions: {
      queueLimit: int(env, 'MESH_SUBSCRIPTION_QUEUE_LIMIT', 256, 1),
      maxBufferedBytes: int(env, 'MESH_SUBSCRIPTION_MAX_BUFFERED_BYTES', 4 * 1024 * 1024, 1024),
      replayPerTenant: int(env, 'MESH_SUBSCRIPTION_REPLAY_PER_TENANT', 10_000, 0),
      closeGraceMs: int(env, 'MESH_SUBSCRIPTION_CLOSE_GRACE_MS', 5000, 0),
      notFoundRetriesMs: intList(env, 'MESH_SUBSCRIPTION_REFETCH_RETRIES_MS', [25, 100, 250, 500, 1000, 2000], 0),
    },
  };
};

import neo4j, { type Driver, type ManagedTransaction, type Node, type Relationship } from 'neo4j-driver';
import type { TenantScope } from '../context.ts';
import { createErrorRecorder } from '../engine-health.ts';
import { DomainError } from '../errors.ts';
import type { GraphEdge, GraphNode, GraphStore } from './port.ts';
import {
  byEdgeKey,
  byNodeId,
  checkDirection,
  checkEdge,
  checkMaxHops,
  checkName,
  checkNode,
  filterSet,
  type GraphProps,
} from './validate.ts';

/**
 * Neo4j GraphStore (neo4j-driver).
 *
 * One Neo4j database is shared by every subgraph (Community Edition has one user database), so each
 * store owns a namespace (`ns`, normally the subgraph's name, prefixed by MESH_NAMESPACE when set):
 * a store can only see nodes and relationships carrying its own `ns` AND the caller's tenant.
 *
 * Data model — no label, relationship type or property name in Cypher text is ever built from input:
 * - every node is `(:MeshNode {ns, tenantId, id, kind, ...})`; `kind` holds GraphNode.label;
 * - every relationship is `[:MESH_EDGE {ns, tenantId, type, ...}]`; `type` holds GraphEdge.type;
 * - props are flattened into native properties with a `p_` prefix (`name` → `p_name`), so they are
 *   visible and indexable in Neo4j and a merge is one atomic `SET n += $set`. Neo4j cannot store a
 *   null property (setting one removes it), so keys whose value is null are listed in the
 *   `_nullProps` string-list property and read back as `null`.
 * - numbers are sent as floats and read back as JS numbers (`disableLosslessIntegers`).
 *
 * Every statement matches on `ns = $ns` and `tenantId = $tenantId` for every node and relationship it
 * touches, and takes all values as parameters. A uniqueness constraint on (ns, tenantId, id) for
 * MeshNode and an index on (ns, tenantId, kind) are created at start if missing (the earlier
 * un-namespaced constraint and index are dropped). Every session is closed in `finally`.
 */

export interface Neo4jGraphOptions {
  uri: string;
  user?: string;
  password?: string;
  database?: string;
  /**
   * The store's namespace inside the shared database: the subgraph name, optionally prefixed by the
   * deployment's MESH_NAMESPACE (`run42/impact`). Letters, digits, `_`, `-`, `.` and `/`; 1–100 chars.
   */
  namespace: string;
  /** Bound for the connectivity check at create time, ms. Default 10 000. */
  connectTimeoutMs?: number;
}

const PREFIX = 'p_';
const NULLS = '_nullProps';

/** Parameters that merge `props` into an entity's flattened properties, nulls included. */
const propParams = (props: GraphProps): { set: Record<string, string | number | boolean | null>; keys: string[]; nullKeys: string[] } => {
  const set: Record<string, string | number | boolean | null> = {};
  const nullKeys: string[] = [];
  for (const [key, value] of Object.entries(props)) {
    set[PREFIX + key] = value; // null removes the native property; the key goes to _nullProps instead
    if (value === null) nullKeys.push(key);
  }
  return { set, keys: Object.keys(props), nullKeys };
};

/** Cypher fragment (constant text) merging `$set`, `$keys`, `$nullKeys` into variable `v`. */
const mergeProps = (v: 'n' | 'r'): string =>
  `SET ${v} += $set, ${v}.${NULLS} = [k IN coalesce(${v}.${NULLS}, []) WHERE NOT k IN $keys] + $nullKeys`;

const propsOf = (properties: Record<string, unknown>): GraphProps => {
  const props: GraphProps = {};
  for (const [key, value] of Object.entries(properties)) {
    if (!key.startsWith(PREFIX)) continue;
    if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') props[key.slice(PREFIX.length)] = value;
  }
  const nulls = properties[NULLS];
  if (Array.isArray(nulls)) for (const key of nulls) if (typeof key === 'string') props[key] = null;
  return props;
};

const toNode = (n: Node): GraphNode => {
  const p = n.properties as Record<string, unknown>;
  return { id: String(p.id), label: String(p.kind), props: propsOf(p) };
};

const toEdge = (r: Relationship, from: unknown, to: unknown): GraphEdge => {
  const p = r.properties as Record<string, unknown>;
  return { from: String(from), to: String(to), type: String(p.type), props: propsOf(p) };
};

/** A store namespace: the subgraph name, optionally prefixed by MESH_NAMESPACE (`run42/impact`). */
const checkNamespace = (value: unknown): string => {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_.\/-]{1,100}$/.test(value)) {
    throw new DomainError('INTERNAL_SERVER_ERROR', `Invalid Neo4j graph namespace ${JSON.stringify(value)}`, { hint: 'Use the subgraph name (letters, digits, _ - . /).' });
  }
  return value;
};

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export const createNeo4jGraph = async (options: Neo4jGraphOptions): Promise<GraphStore> => {
  const ns = checkNamespace(options.namespace);
  const timeoutMs = options.connectTimeoutMs ?? 10_000;
  const auth = options.user ? neo4j.auth.basic(options.user, options.password ?? '') : undefined;
  let driver: Driver;
  try {
    driver = neo4j.driver(options.uri, auth, {
      disableLosslessIntegers: true,
      connectionTimeout: timeoutMs,
      connectionAcquisitionTimeout: timeoutMs,
      maxTransactionRetryTime: 15_000,
    });
  } catch (error) {
    throw new DomainError('ENGINE_UNAVAILABLE', `Invalid NEO4J_URI ${options.uri}: ${messageOf(error)}`, {
      hint: 'Set NEO4J_URI to a bolt:// or neo4j:// URL, e.g. bolt://127.0.0.1:7687.',
      cause: error,
    });
  }
  const database = options.database;

  // Fail fast: an unreachable Neo4j is a start-up error, not a first-request error.
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      driver.verifyConnectivity(database ? { database } : {}),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    await driver.close().catch(() => undefined);
    throw new DomainError('ENGINE_UNAVAILABLE', `Neo4j is unreachable at NEO4J_URI=${options.uri}: ${messageOf(error)}`, {
      hint: 'Start Neo4j (docker compose up neo4j, or the testbed), or check NEO4J_URI, NEO4J_USER and NEO4J_PASSWORD. Unset MESH_GRAPH to use the embedded graph.',
      rootCause: messageOf(error),
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }

  // Engine-level failures seen after start (driver errors), for /health.
  const engineErrors = createErrorRecorder();

  /** Driver failures become ENGINE_UNAVAILABLE (retryable) when the driver says they are transient. */
  const wrap = (error: unknown): unknown => {
    if (error instanceof DomainError) return error;
    engineErrors.record(error);
    if (neo4j.isRetryableError(error as Error)) {
      return new DomainError('ENGINE_UNAVAILABLE', `Neo4j unavailable: ${messageOf(error)}`, { retryAfterSeconds: 1, cause: error });
    }
    return error;
  };

  const write = async <T>(work: (tx: ManagedTransaction) => Promise<T>): Promise<T> => {
    const session = driver.session({ database, defaultAccessMode: neo4j.session.WRITE });
    try {
      return await session.executeWrite(work);
    } catch (error) {
      throw wrap(error);
    } finally {
      await session.close();
    }
  };

  const read = async <T>(work: (tx: ManagedTransaction) => Promise<T>): Promise<T> => {
    const session = driver.session({ database, defaultAccessMode: neo4j.session.READ });
    try {
      return await session.executeRead(work);
    } catch (error) {
      throw wrap(error);
    } finally {
      await session.close();
    }
  };

  const tenantOf = (scope: TenantScope): string => checkName('tenant id', scope?.tenantId);

  // Schema, idempotent and safe when several processes start at once: `IF [NOT] EXISTS`, and a
  // concurrent creator's "already exists" / dropper's "not found" counts as done.
  const schemaStatements = [
    'DROP CONSTRAINT mesh_node_tenant_id IF EXISTS',
    'DROP INDEX mesh_node_tenant_kind IF EXISTS',
    'CREATE CONSTRAINT mesh_node_ns_tenant_id IF NOT EXISTS FOR (n:MeshNode) REQUIRE (n.ns, n.tenantId, n.id) IS UNIQUE',
    'CREATE INDEX mesh_node_ns_tenant_kind IF NOT EXISTS FOR (n:MeshNode) ON (n.ns, n.tenantId, n.kind)',
  ];
  try {
    for (const statement of schemaStatements) {
      await write(async (tx) => {
        await tx.run(statement);
      }).catch((error: unknown) => {
        const code = (error as { code?: unknown }).code;
        if (typeof code === 'string' && /^Neo\.ClientError\.Schema\.\w*(AlreadyExists|NotFound)/.test(code)) return;
        throw error;
      });
    }
  } catch (error) {
    await driver.close().catch(() => undefined);
    throw error;
  }

  let closed = false;

  const store: GraphStore = {
    engine: 'neo4j',

    async mergeNode(scope, input) {
      const tenantId = tenantOf(scope);
      const node = checkNode(input);
      await write((tx) =>
        tx.run(`MERGE (n:MeshNode {ns: $ns, tenantId: $tenantId, id: $id}) SET n.kind = $kind ${mergeProps('n')}`, {
          ns,
          tenantId,
          id: node.id,
          kind: node.label,
          ...propParams(node.props),
        }),
      );
    },

    async mergeEdge(scope, input) {
      const tenantId = tenantOf(scope);
      const edge = checkEdge(input);
      const merged = await write(async (tx) => {
        const result = await tx.run(
          `MATCH (a:MeshNode {ns: $ns, tenantId: $tenantId, id: $from})
           MATCH (b:MeshNode {ns: $ns, tenantId: $tenantId, id: $to})
           MERGE (a)-[r:MESH_EDGE {ns: $ns, tenantId: $tenantId, type: $type}]->(b)
           ${mergeProps('r')}
           RETURN count(r) AS merged`,
          { ns, tenantId, from: edge.from, to: edge.to, type: edge.type, ...propParams(edge.props) },
        );
        return Number(result.records[0]?.get('merged') ?? 0);
      });
      if (merged === 0) {
        throw new DomainError('NOT_FOUND', `Graph node ${edge.from} or ${edge.to} not found`, { hint: 'Merge both nodes before the edge between them.' });
      }
    },

    async removeNode(scope, id) {
      const tenantId = tenantOf(scope);
      checkName('node id', id);
      await write((tx) => tx.run('MATCH (n:MeshNode {ns: $ns, tenantId: $tenantId, id: $id}) DETACH DELETE n', { ns, tenantId, id }));
    },

    async getNode(scope, id) {
      const tenantId = tenantOf(scope);
      checkName('node id', id);
      return read(async (tx) => {
        const result = await tx.run('MATCH (n:MeshNode {ns: $ns, tenantId: $tenantId, id: $id}) RETURN n', { ns, tenantId, id });
        const record = result.records[0];
        return record ? toNode(record.get('n') as Node) : null;
      });
    },

    async nodes(scope, label) {
      const tenantId = tenantOf(scope);
      checkName('label', label);
      return read(async (tx) => {
        const result = await tx.run('MATCH (n:MeshNode {ns: $ns, tenantId: $tenantId, kind: $kind}) RETURN n ORDER BY n.id', { ns, tenantId, kind: label });
        return result.records.map((r) => toNode(r.get('n') as Node)).sort(byNodeId);
      });
    },

    async edges(scope, id, opts = {}) {
      const tenantId = tenantOf(scope);
      checkName('node id', id);
      const direction = checkDirection(opts.direction);
      const type = opts.type === undefined ? null : checkName('edge type', opts.type);
      // Constant pattern text per direction; `DISTINCT r` returns a self-loop once for `both`.
      const pattern =
        direction === 'out'
          ? '(n:MeshNode {ns: $ns, tenantId: $tenantId, id: $id})-[r:MESH_EDGE {ns: $ns, tenantId: $tenantId}]->(m:MeshNode {ns: $ns, tenantId: $tenantId})'
          : direction === 'in'
            ? '(n:MeshNode {ns: $ns, tenantId: $tenantId, id: $id})<-[r:MESH_EDGE {ns: $ns, tenantId: $tenantId}]-(m:MeshNode {ns: $ns, tenantId: $tenantId})'
            : '(n:MeshNode {ns: $ns, tenantId: $tenantId, id: $id})-[r:MESH_EDGE {ns: $ns, tenantId: $tenantId}]-(m:MeshNode {ns: $ns, tenantId: $tenantId})';
      return read(async (tx) => {
        const result = await tx.run(
          `MATCH ${pattern}
           WHERE $type IS NULL OR r.type = $type
           WITH DISTINCT r
           RETURN r, startNode(r).id AS from, endNode(r).id AS to`,
          { ns, tenantId, id, type },
        );
        return result.records.map((rec) => toEdge(rec.get('r') as Relationship, rec.get('from'), rec.get('to'))).sort(byEdgeKey);
      });
    },

    async subgraph(scope, opts) {
      const tenantId = tenantOf(scope);
      const labels = filterSet(opts?.labels);
      const types = filterSet(opts?.edgeTypes);
      const params = { ns, tenantId, labels: labels ? [...labels] : null, types: types ? [...types] : null };
      return read(async (tx) => {
        const nodes = await tx.run('MATCH (n:MeshNode {ns: $ns, tenantId: $tenantId}) WHERE $labels IS NULL OR n.kind IN $labels RETURN n', params);
        const edges = await tx.run(
          `MATCH (a:MeshNode {ns: $ns, tenantId: $tenantId})-[r:MESH_EDGE {ns: $ns, tenantId: $tenantId}]->(b:MeshNode {ns: $ns, tenantId: $tenantId})
           WHERE ($labels IS NULL OR (a.kind IN $labels AND b.kind IN $labels)) AND ($types IS NULL OR r.type IN $types)
           RETURN r, a.id AS from, b.id AS to`,
          params,
        );
        return {
          nodes: nodes.records.map((r) => toNode(r.get('n') as Node)).sort(byNodeId),
          edges: edges.records.map((r) => toEdge(r.get('r') as Relationship, r.get('from'), r.get('to'))).sort(byEdgeKey),
        };
      });
    },

    async shortestPath(scope, from, to, maxHops) {
      const tenantId = tenantOf(scope);
      checkName('from', from);
      checkName('to', to);
      // Cypher cannot take a variable-length bound as a parameter. `hops` is a validated integer
      // (0..32), never a string from input, so interpolating it is safe.
      const hops = checkMaxHops(maxHops);
      if (from === to || hops === 0) {
        if (from !== to) return null;
        const node = await store.getNode(scope, from);
        return node ? [node] : null;
      }
      return read(async (tx) => {
        const result = await tx.run(
          `MATCH (a:MeshNode {ns: $ns, tenantId: $tenantId, id: $from})
           MATCH (b:MeshNode {ns: $ns, tenantId: $tenantId, id: $to})
           MATCH p = shortestPath((a)-[:MESH_EDGE*..${hops}]-(b))
           WHERE all(x IN nodes(p) WHERE x.ns = $ns AND x.tenantId = $tenantId) AND all(r IN relationships(p) WHERE r.ns = $ns AND r.tenantId = $tenantId)
           RETURN nodes(p) AS path`,
          { ns, tenantId, from, to },
        );
        const record = result.records[0];
        return record ? (record.get('path') as Node[]).map(toNode) : null;
      });
    },

    async health() {
      if (closed) return { ok: false, detail: 'neo4j: closed' };
      try {
        const info = await driver.getServerInfo(database ? { database } : {});
        return { ok: true, detail: `neo4j: ${info.agent ?? 'server'} at ${info.address ?? options.uri}, namespace ${ns}`, lastError: engineErrors.last };
      } catch (error) {
        engineErrors.record(error);
        return { ok: false, detail: `neo4j: ${messageOf(error)}`, lastError: engineErrors.last };
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      await driver.close();
    },
  };
  return store;
};

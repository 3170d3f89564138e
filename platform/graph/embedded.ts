import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { MultiDirectedGraph } from 'graphology';
import type { TenantScope } from '../context.ts';
import { DomainError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { GraphEdge, GraphNode, GraphStore } from './port.ts';
import {
  byEdgeKey,
  byNodeId,
  checkDirection,
  checkEdge,
  checkMaxHops,
  checkName,
  checkNode,
  copyEdge,
  copyNode,
  filterSet,
  type GraphProps,
} from './validate.ts';

/**
 * Embedded GraphStore: graphology in memory, one graph object per tenant, so no call can reach
 * another tenant's nodes — the tenant's graph is looked up first and everything after works on it.
 *
 * Persistence: each tenant's graph is a JSON snapshot at `<dataDir>/graph/<tenant-file>.json`.
 * A write marks the tenant dirty; dirty tenants are saved `flushMs` after the first unsaved write
 * (debounced) and on `close()`. A save writes a temporary file, fsyncs it, renames it over the
 * snapshot and fsyncs the directory, so a snapshot on disk is always whole. Writes acknowledged in
 * the last `flushMs` before a crash are lost (the same stance as NeDB without fsync; Neo4j is the
 * choice where that matters). Tenants are loaded lazily, on their first call.
 *
 * One process owns a data directory's graph: a second store on the same directory in the same
 * process is refused (two in-memory copies would overwrite each other's snapshots); share the
 * instance instead.
 */

export interface EmbeddedGraphOptions {
  dataDir: string;
  /** Debounce for snapshot writes, in ms. Default 250. */
  flushMs?: number;
  logger?: Logger;
}

/** The port plus `flush()`, which saves every dirty tenant now (used by tests and shutdown hooks). */
export interface EmbeddedGraphStore extends GraphStore {
  flush(): Promise<void>;
}

interface NodeAttrs {
  label: string;
  props: GraphProps;
}
interface EdgeAttrs {
  type: string;
  props: GraphProps;
}
type TenantGraph = MultiDirectedGraph<NodeAttrs, EdgeAttrs>;

interface Snapshot {
  format: 'mesh-graph';
  version: 1;
  tenantId: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

interface TenantState {
  tenantId: string;
  file: string;
  graph: TenantGraph;
  dirty: boolean;
  /** Saves of this tenant run one after another. */
  saving: Promise<void>;
}

/**
 * Tenant id → file name, injective so two tenants never share a file: `[A-Za-z0-9-]` is kept and
 * every other character (including `_`) becomes `_xx` per UTF-8 byte. Names that would be longer
 * than 200 characters become `~<sha256 of the id>`; escaped names never contain `~`, so the two
 * forms cannot collide.
 */
export const tenantFileName = (tenantId: string): string => {
  let out = '';
  for (const ch of tenantId) {
    if (/^[A-Za-z0-9-]$/.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `_${byte.toString(16).padStart(2, '0')}`;
  }
  if (out.length <= 200) return `${out}.json`;
  return `~${createHash('sha256').update(tenantId).digest('hex')}.json`;
};

const edgeKey = (from: string, type: string, to: string): string => JSON.stringify([from, type, to]);

/** Data directories with an open store in this process. */
const openDirs = new Set<string>();

const newGraph = (): TenantGraph => new MultiDirectedGraph<NodeAttrs, EdgeAttrs>({ allowSelfLoops: true });

const parseSnapshot = (text: string, tenantId: string, file: string): TenantGraph => {
  const corrupt = (why: string): DomainError =>
    new DomainError('ENGINE_UNAVAILABLE', `Graph snapshot ${file} is unreadable: ${why}`, {
      hint: 'Restore the file from a backup or move it aside; the embedded graph will not overwrite it.',
      rootCause: why,
    });
  let data: Snapshot;
  try {
    data = JSON.parse(text) as Snapshot;
  } catch (error) {
    throw corrupt(error instanceof Error ? error.message : String(error));
  }
  if (data?.format !== 'mesh-graph' || data.version !== 1) throw corrupt('not a mesh-graph v1 snapshot');
  // Defence in depth: a snapshot copied under another tenant's file name is refused, never served.
  if (data.tenantId !== tenantId) throw corrupt('snapshot belongs to a different tenant');
  const graph = newGraph();
  for (const node of data.nodes) {
    const n = checkNode(node);
    graph.mergeNode(n.id, { label: n.label, props: n.props });
  }
  for (const edge of data.edges) {
    const e = checkEdge(edge);
    if (!graph.hasNode(e.from) || !graph.hasNode(e.to)) throw corrupt(`edge ${e.from} -> ${e.to} names a missing node`);
    graph.addEdgeWithKey(edgeKey(e.from, e.type, e.to), e.from, e.to, { type: e.type, props: e.props });
  }
  return graph;
};

const toSnapshot = (state: TenantState): Snapshot => {
  const nodes: GraphNode[] = [];
  state.graph.forEachNode((id, a) => nodes.push({ id, label: a.label, props: a.props }));
  const edges: GraphEdge[] = [];
  state.graph.forEachEdge((_key, a, from, to) => edges.push({ from, to, type: a.type, props: a.props }));
  return { format: 'mesh-graph', version: 1, tenantId: state.tenantId, nodes, edges };
};

/** Write temp + fsync + rename + fsync(dir): the snapshot on disk is either the old or the new one. */
const writeAtomically = async (file: string, content: string): Promise<void> => {
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  // Make the rename itself durable. Not every platform lets a directory be fsynced; best effort.
  const dir = await open(path.dirname(file), 'r').catch(() => null);
  if (dir) {
    await dir.sync().catch(() => undefined);
    await dir.close();
  }
};

const nodeOf = (graph: TenantGraph, id: string): GraphNode => {
  const a = graph.getNodeAttributes(id);
  return copyNode({ id, label: a.label, props: a.props });
};

export const createEmbeddedGraph = async (options: EmbeddedGraphOptions): Promise<EmbeddedGraphStore> => {
  const dir = path.resolve(options.dataDir, 'graph');
  if (openDirs.has(dir)) {
    throw new DomainError('INTERNAL_SERVER_ERROR', `The embedded graph at ${dir} is already open in this process`, {
      hint: 'Create one embedded GraphStore per data directory and share it between subgraphs.',
    });
  }
  await mkdir(dir, { recursive: true });
  openDirs.add(dir);

  const flushMs = options.flushMs ?? 250;
  const tenants = new Map<string, Promise<TenantState>>();
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  const ensureOpen = (): void => {
    if (closed) throw new DomainError('ENGINE_UNAVAILABLE', 'The embedded graph store is closed');
  };

  const load = async (tenantId: string): Promise<TenantState> => {
    const file = path.join(dir, tenantFileName(tenantId));
    let text: string | null = null;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const graph = text === null ? newGraph() : parseSnapshot(text, tenantId, file);
    return { tenantId, file, graph, dirty: false, saving: Promise.resolve() };
  };

  /** The tenant's graph, loaded once; concurrent first calls share one load. */
  const tenant = async (scope: TenantScope): Promise<TenantState> => {
    ensureOpen();
    const tenantId = checkName('tenant id', scope?.tenantId);
    let pending = tenants.get(tenantId);
    if (!pending) {
      pending = load(tenantId);
      tenants.set(tenantId, pending);
      // A failed load is not cached: the next call tries again (and reports the same problem).
      pending.catch(() => tenants.delete(tenantId));
    }
    return pending;
  };

  const save = (state: TenantState): Promise<void> => {
    if (!state.dirty) return state.saving;
    state.dirty = false;
    // Serialize now, synchronously: the snapshot is one consistent point in time.
    const content = JSON.stringify(toSnapshot(state));
    const run = async (): Promise<void> => {
      try {
        await writeAtomically(state.file, content);
      } catch (error) {
        state.dirty = true; // retried by the next flush
        throw error;
      }
    };
    const next = state.saving.then(run, run);
    state.saving = next.catch(() => undefined);
    return next;
  };

  const flush = async (): Promise<void> => {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    const states = await Promise.allSettled([...tenants.values()]);
    const results = await Promise.allSettled(states.flatMap((s) => (s.status === 'fulfilled' ? [save(s.value)] : [])));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  };

  const touched = (state: TenantState): void => {
    state.dirty = true;
    if (timer || closed) return;
    timer = setTimeout(() => {
      timer = null;
      flush().catch((error: unknown) => options.logger?.error({ err: error, dir }, 'graph snapshot write failed; will retry'));
    }, flushMs);
    // Shutdown goes through close(), which flushes; the timer alone must not keep the process alive.
    timer.unref();
  };

  const store: EmbeddedGraphStore = {
    engine: 'graphology',

    async mergeNode(scope, input) {
      const node = checkNode(input);
      const state = await tenant(scope);
      const g = state.graph;
      if (g.hasNode(node.id)) {
        const current = g.getNodeAttributes(node.id);
        g.replaceNodeAttributes(node.id, { label: node.label, props: { ...current.props, ...node.props } });
      } else {
        g.addNode(node.id, { label: node.label, props: { ...node.props } });
      }
      touched(state);
    },

    async mergeEdge(scope, input) {
      const edge = checkEdge(input);
      const state = await tenant(scope);
      const g = state.graph;
      for (const end of [edge.from, edge.to]) {
        if (!g.hasNode(end)) throw new DomainError('NOT_FOUND', `Graph node ${end} not found`, { hint: 'Merge both nodes before the edge between them.' });
      }
      const key = edgeKey(edge.from, edge.type, edge.to);
      if (g.hasEdge(key)) {
        const current = g.getEdgeAttributes(key);
        g.replaceEdgeAttributes(key, { type: edge.type, props: { ...current.props, ...edge.props } });
      } else {
        g.addEdgeWithKey(key, edge.from, edge.to, { type: edge.type, props: { ...edge.props } });
      }
      touched(state);
    },

    async removeNode(scope, id) {
      checkName('node id', id);
      const state = await tenant(scope);
      if (!state.graph.hasNode(id)) return;
      state.graph.dropNode(id); // drops its edges too
      touched(state);
    },

    async getNode(scope, id) {
      checkName('node id', id);
      const { graph } = await tenant(scope);
      return graph.hasNode(id) ? nodeOf(graph, id) : null;
    },

    async nodes(scope, label) {
      checkName('label', label);
      const { graph } = await tenant(scope);
      const out: GraphNode[] = [];
      graph.forEachNode((id, a) => {
        if (a.label === label) out.push(copyNode({ id, label: a.label, props: a.props }));
      });
      return out.sort(byNodeId);
    },

    async edges(scope, id, opts = {}) {
      checkName('node id', id);
      const direction = checkDirection(opts.direction);
      const type = opts.type === undefined ? undefined : checkName('edge type', opts.type);
      const { graph } = await tenant(scope);
      if (!graph.hasNode(id)) return [];
      const out = new Map<string, GraphEdge>();
      const visit = (key: string, a: EdgeAttrs, from: string, to: string): void => {
        if (type === undefined || a.type === type) out.set(key, copyEdge({ from, to, type: a.type, props: a.props }));
      };
      if (direction === 'out') graph.forEachOutEdge(id, visit);
      else if (direction === 'in') graph.forEachInEdge(id, visit);
      else graph.forEachEdge(id, visit); // a self-loop is keyed once in the map
      return [...out.values()].sort(byEdgeKey);
    },

    async subgraph(scope, opts) {
      const labels = filterSet(opts?.labels);
      const types = filterSet(opts?.edgeTypes);
      const { graph } = await tenant(scope);
      const nodes: GraphNode[] = [];
      const kept = new Set<string>();
      graph.forEachNode((id, a) => {
        if (labels && !labels.has(a.label)) return;
        kept.add(id);
        nodes.push(copyNode({ id, label: a.label, props: a.props }));
      });
      const edges: GraphEdge[] = [];
      graph.forEachEdge((_key, a, from, to) => {
        if (types && !types.has(a.type)) return;
        if (!kept.has(from) || !kept.has(to)) return;
        edges.push(copyEdge({ from, to, type: a.type, props: a.props }));
      });
      return { nodes: nodes.sort(byNodeId), edges: edges.sort(byEdgeKey) };
    },

    async shortestPath(scope, from, to, maxHops) {
      checkName('from', from);
      checkName('to', to);
      const limit = checkMaxHops(maxHops);
      const { graph } = await tenant(scope);
      if (!graph.hasNode(from) || !graph.hasNode(to)) return null;
      if (from === to) return [nodeOf(graph, from)];
      // Breadth-first over edges in both directions. Neighbours are visited in id order, so the
      // path chosen among several shortest ones is deterministic.
      const parent = new Map<string, string | null>([[from, null]]);
      let frontier = [from];
      for (let depth = 0; depth < limit && frontier.length > 0; depth++) {
        const next: string[] = [];
        for (const current of frontier) {
          for (const neighbour of graph.neighbors(current).sort()) {
            if (parent.has(neighbour)) continue;
            parent.set(neighbour, current);
            if (neighbour === to) {
              const path: GraphNode[] = [];
              for (let at: string | null = to; at !== null; at = parent.get(at) ?? null) path.push(nodeOf(graph, at));
              return path.reverse();
            }
            next.push(neighbour);
          }
        }
        frontier = next;
      }
      return null;
    },

    async health() {
      if (closed) return { ok: false, detail: 'graphology: closed' };
      return { ok: true, detail: `graphology: ${tenants.size} tenant graph(s) loaded from ${dir}` };
    },

    async close() {
      if (closed) return;
      closed = true;
      try {
        await flush();
      } finally {
        openDirs.delete(dir);
        tenants.clear();
      }
    },

    flush: async () => {
      ensureOpen();
      await flush();
    },
  };
  return store;
};

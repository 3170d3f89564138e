import type { TenantScope } from '../context.ts';
import type { EngineHealth } from '../engine-health.ts';

/** A node of the tenant's graph. `label` is the kind (Person, Team, Skill, Solution, ...). */
export interface GraphNode {
  id: string;
  label: string;
  props: Record<string, string | number | boolean | null>;
}

/** A directed, typed relationship. Parallel edges of the same type between two nodes are merged. */
export interface GraphEdge {
  from: string;
  to: string;
  type: string;
  props: Record<string, string | number | boolean | null>;
}

/**
 * The GraphStore port. Adapters: embedded (graphology in memory, persisted per tenant as a JSON snapshot
 * file under MESH_DATA_DIR) and neo4j (neo4j-driver). Every call takes a TenantScope; every node and
 * edge carries the tenant id and no call can reach another tenant's graph.
 */
export interface GraphStore {
  readonly engine: string;
  /** Creates the node or updates it: `label` is replaced, `props` are merged key by key (a `null` value is kept as null). */
  mergeNode(scope: TenantScope, node: GraphNode): Promise<void>;
  /** One edge per (from, type, to): created or its props merged. Both nodes must exist (else NOT_FOUND). */
  mergeEdge(scope: TenantScope, edge: GraphEdge): Promise<void>;
  /** Removes the node and every edge touching it; a missing node is a no-op. */
  removeNode(scope: TenantScope, id: string): Promise<void>;
  getNode(scope: TenantScope, id: string): Promise<GraphNode | null>;
  /** Every node of the label, ordered by id. */
  nodes(scope: TenantScope, label: string): Promise<GraphNode[]>;
  /** Edges touching `id`, optionally of one type and direction (default `both`; a self-loop appears once), ordered by (from, type, to). */
  edges(scope: TenantScope, id: string, options?: { type?: string; direction?: 'out' | 'in' | 'both' }): Promise<GraphEdge[]>;
  /**
   * The nodes with one of `labels` and the edges of one of `edgeTypes` whose both ends are among those
   * nodes (for analytics such as centrality). An omitted or empty list means no filter. Ordered as above.
   */
  subgraph(scope: TenantScope, options: { labels?: readonly string[]; edgeTypes?: readonly string[] }): Promise<{ nodes: GraphNode[]; edges: GraphEdge[] }>;
  /** Shortest path by hops (undirected), up to `maxHops` (default 6, at most 32), from `from` to `to` inclusive; `[node]` when from = to; null when none. */
  shortestPath(scope: TenantScope, from: string, to: string, maxHops?: number): Promise<GraphNode[] | null>;
  /** Whether the engine answers now, and the last engine-level error the adapter observed. */
  health(): Promise<EngineHealth>;
  close(): Promise<void>;
}

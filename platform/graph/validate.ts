import { DomainError } from '../errors.ts';
import type { GraphEdge, GraphNode } from './port.ts';

/**
 * Input checks shared by every GraphStore adapter, so that both engines accept and reject exactly
 * the same inputs. A bad call is a programming error in a subgraph, not a user error, hence
 * INTERNAL_SERVER_ERROR (masked to clients, logged with its message).
 */

export type GraphProps = GraphNode['props'];

/** Longest accepted id, label or edge type. */
const MAX_NAME = 256;

/** Upper bound for `shortestPath`'s `maxHops`: a guard against runaway traversals. */
export const MAX_HOPS_LIMIT = 32;
export const DEFAULT_MAX_HOPS = 6;

const bad = (message: string): DomainError => new DomainError('INTERNAL_SERVER_ERROR', `GraphStore: ${message}`);

export const checkName = (what: string, value: unknown): string => {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME) throw bad(`${what} must be a non-empty string of at most ${MAX_NAME} characters`);
  return value;
};

/** Props are flat: string, finite number, boolean or null. Keys are non-empty (and not `__proto__`). */
export const checkProps = (props: unknown): GraphProps => {
  if (props === undefined) return {};
  if (props === null || typeof props !== 'object' || Array.isArray(props)) throw bad('props must be a plain object');
  const out: GraphProps = {};
  for (const [key, value] of Object.entries(props as Record<string, unknown>)) {
    // `__proto__` would be a prototype assignment, not a prop, on a plain object.
    if (!key || key === '__proto__') throw bad('prop keys must be non-empty and not __proto__');
    if (value === null || typeof value === 'string' || typeof value === 'boolean') out[key] = value;
    else if (typeof value === 'number' && Number.isFinite(value)) out[key] = value;
    else throw bad(`prop ${key} must be a string, finite number, boolean or null`);
  }
  return out;
};

export const checkNode = (node: GraphNode): GraphNode => ({
  id: checkName('node id', node?.id),
  label: checkName('node label', node?.label),
  props: checkProps(node?.props),
});

export const checkEdge = (edge: GraphEdge): GraphEdge => ({
  from: checkName('edge from', edge?.from),
  to: checkName('edge to', edge?.to),
  type: checkName('edge type', edge?.type),
  props: checkProps(edge?.props),
});

export const checkMaxHops = (maxHops: number | undefined): number => {
  const hops = maxHops ?? DEFAULT_MAX_HOPS;
  if (!Number.isInteger(hops) || hops < 0 || hops > MAX_HOPS_LIMIT) throw bad(`maxHops must be an integer from 0 to ${MAX_HOPS_LIMIT}`);
  return hops;
};

export const checkDirection = (direction: unknown): 'out' | 'in' | 'both' => {
  const d = direction ?? 'both';
  if (d !== 'out' && d !== 'in' && d !== 'both') throw bad('direction must be out, in or both');
  return d;
};

/** `undefined` or an empty list means "no filter". */
export const filterSet = (values: readonly string[] | undefined): ReadonlySet<string> | null =>
  values && values.length > 0 ? new Set(values.map((v) => checkName('filter value', v))) : null;

/** A node's props are never returned by reference: callers may mutate what they get. */
export const copyNode = (node: GraphNode): GraphNode => ({ id: node.id, label: node.label, props: { ...node.props } });
export const copyEdge = (edge: GraphEdge): GraphEdge => ({ from: edge.from, to: edge.to, type: edge.type, props: { ...edge.props } });

/** Stable orders, identical in every adapter, so callers and contract tests can rely on them. */
export const byNodeId = (a: GraphNode, b: GraphNode): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
export const byEdgeKey = (a: GraphEdge, b: GraphEdge): number => cmp(a.from, b.from) || cmp(a.type, b.type) || cmp(a.to, b.to);

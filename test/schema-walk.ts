import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type IntrospectionQuery,
} from 'graphql';
import { dataOf, gql } from './client.ts';

/**
 * Schema-driven helpers for the generated suites: the schema comes from the running gateway by
 * introspection, selection sets and argument values are built from its types, so a field added to any
 * subgraph is exercised without anyone listing it.
 */

export const fetchSchema = async (url: string, token?: string): Promise<GraphQLSchema> =>
  buildClientSchema(dataOf(await gql<IntrospectionQuery>(url, getIntrospectionQuery(), {}, token)));

/** A small deterministic PRNG (mulberry32) so every generated case reproduces from its seed. */
export const prng = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

const hasRequiredArgs = (field: GraphQLField<unknown, unknown>): boolean => field.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined);

/**
 * A selection set for `type`: `__typename`, every leaf field without required arguments, and object
 * fields down to `depth` levels (abstract types through inline fragments on each possible type).
 */
export const selectionFor = (schema: GraphQLSchema, type: GraphQLNamedType, depth: number, allowed: ReadonlyMap<string, string> | null = null): string => {
  if (isLeafType(type)) return '';
  if (isUnionType(type) || isInterfaceType(type)) {
    // Possible types may share a field name with different types (e.g. `plan: Plan!` and
    // `plan: SubscriptionPlan!`), which GraphQL forbids in one selection (and aliasing them all would
    // break the alias limit): a name is selected only where it has the type it first had.
    const possible = schema.getPossibleTypes(type);
    const firstType = new Map<string, string>();
    for (const t of possible) for (const f of Object.values(t.getFields())) if (!firstType.has(f.name)) firstType.set(f.name, String(f.type));
    const parts = ['__typename', ...possible.map((t) => `... on ${t.name} ${selectionFor(schema, t, depth, firstType)}`)];
    return `{ ${parts.join(' ')} }`;
  }
  if (!isObjectType(type)) return '';
  const parts = ['__typename'];
  for (const field of Object.values(type.getFields())) {
    if (hasRequiredArgs(field)) continue;
    const named = getNamedType(field.type);
    if (allowed && allowed.get(field.name) !== String(field.type)) continue;
    if (isLeafType(named)) parts.push(field.name);
    else if (depth > 0) parts.push(`${field.name} ${selectionFor(schema, named, depth - 1)}`);
  }
  return `{ ${parts.join(' ')} }`;
};

/** One place a value goes: an argument or a field of an input object, by path from the root field. */
export interface Slot {
  path: string[];
  name: string;
  /** The named type of the slot (ID, String, an enum...). */
  typeName: string;
}

export interface ValueSource {
  id(slot: Slot): string;
  string(slot: Slot): string;
  int(slot: Slot): number;
  enumValue(slot: Slot, values: string[]): string;
  /** How many items a list gets. */
  listLength(slot: Slot): number;
  /** Optional input fields are filled when this says so (e.g. when they carry ids). */
  fillOptional(slot: Slot, type: GraphQLInputType): boolean;
}

/** True when the input type (or anything nested in it) has an ID field. */
export const carriesIds = (type: GraphQLInputType, seen = new Set<string>()): boolean => {
  const named = getNamedType(type);
  if (isScalarType(named)) return named.name === 'ID';
  if (!isInputObjectType(named) || seen.has(named.name)) return false;
  seen.add(named.name);
  return Object.values(named.getFields()).some((f) => carriesIds(f.type, seen));
};

/** Builds a value for an input type from the source, filling every required field. */
export const valueFor = (type: GraphQLInputType, path: string[], source: ValueSource): unknown => {
  if (isNonNullType(type)) return valueFor(type.ofType, path, source);
  const name = path[path.length - 1] ?? '';
  if (isListType(type)) return Array.from({ length: source.listLength({ path, name, typeName: getNamedType(type).name }) }, () => valueFor(type.ofType, path, source));
  if (isEnumType(type)) return source.enumValue({ path, name, typeName: type.name }, type.getValues().map((v) => v.value as string));
  if (isScalarType(type)) {
    const slot = { path, name, typeName: type.name };
    switch (type.name) {
      case 'ID':
        return source.id(slot);
      case 'Int':
        return source.int(slot);
      case 'Float':
        return 0.5;
      case 'Boolean':
        return true;
      case 'DateTime':
        return /from|since|start/i.test(name) ? new Date(Date.now() - 30 * 86_400_000).toISOString() : new Date(Date.now() + 60_000).toISOString();
      default:
        return source.string(slot);
    }
  }
  if (isInputObjectType(type)) {
    const out: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields()) as GraphQLInputField[]) {
      const required = isNonNullType(field.type) && field.defaultValue === undefined;
      const childPath = [...path, field.name];
      if (required || source.fillOptional({ path: childPath, name: field.name, typeName: getNamedType(field.type).name }, field.type)) out[field.name] = valueFor(field.type, childPath, source);
    }
    return out;
  }
  return null;
};

/** Every ID slot of a root field's arguments (top-level arguments and input fields), by path. */
export const idSlots = (args: readonly GraphQLArgument[]): Slot[] => {
  const slots: Slot[] = [];
  const walk = (type: GraphQLInputType, path: string[], seen: Set<string>): void => {
    const named = getNamedType(type);
    if (isScalarType(named) && named.name === 'ID') slots.push({ path, name: path[path.length - 1], typeName: 'ID' });
    if (isInputObjectType(named) && !seen.has(named.name)) {
      const next = new Set(seen).add(named.name);
      for (const f of Object.values(named.getFields())) walk(f.type, [...path, f.name], next);
    }
  };
  for (const arg of args) walk(arg.type, [arg.name], new Set());
  return slots;
};

/** The GraphQL type text of an argument, for variable definitions. */
export const variableDefinitions = (args: readonly GraphQLArgument[]): string => (args.length ? `(${args.map((a) => `$${a.name}: ${String(a.type)}`).join(', ')})` : '');

/** An operation document calling one root field with all its arguments as variables. */
export const operationFor = (schema: GraphQLSchema, root: GraphQLObjectType, field: GraphQLField<unknown, unknown>, depth: number): string => {
  const kind = root === schema.getMutationType() ? 'mutation' : 'query';
  const args = field.args.length ? `(${field.args.map((a) => `${a.name}: $${a.name}`).join(', ')})` : '';
  return `${kind} Sweep${variableDefinitions(field.args)} { ${field.name}${args} ${selectionFor(schema, getNamedType(field.type), depth)} }`;
};

/** Walks a JSON value and calls `visit` on every object that has both `__typename` and `id`. */
export const visitEntities = (value: unknown, visit: (typename: string, id: string, object: Record<string, unknown>) => void): void => {
  if (Array.isArray(value)) {
    for (const item of value) visitEntities(item, visit);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const object = value as Record<string, unknown>;
  if (typeof object.__typename === 'string' && typeof object.id === 'string') visit(object.__typename, object.id, object);
  for (const child of Object.values(object)) visitEntities(child, visit);
};

/** Walks a JSON value and calls `visit` on every string leaf with the key it sits under. */
export const visitStrings = (value: unknown, visit: (key: string, text: string) => void, key = ''): void => {
  if (typeof value === 'string') visit(key, value);
  else if (Array.isArray(value)) for (const item of value) visitStrings(item, visit, key);
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) visitStrings(v, visit, k);
};

/** Sets a value at a path inside a variables object (creating nothing: the path must exist). */
export const setAt = (variables: Record<string, unknown>, path: string[], value: unknown): void => {
  let cursor: unknown = variables;
  for (const key of path.slice(0, -1)) {
    cursor = (cursor as Record<string, unknown>)[key];
    if (Array.isArray(cursor)) cursor = cursor[0];
  }
  const last = path[path.length - 1];
  const holder = cursor as Record<string, unknown>;
  holder[last] = Array.isArray(holder[last]) ? [value] : value;
};

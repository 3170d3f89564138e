import { getNamedType, isNonNullType, type GraphQLField, type GraphQLInputType, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { gql, type GraphQLResult } from './client.ts';
import { carriesIds, operationFor, prng, valueFor, visitEntities, visitStrings, type Slot, type ValueSource } from './schema-walk.ts';

/**
 * A tenant as the generated suites see it: a token, a marker that every string it writes carries,
 * and pools of what its own responses revealed (entity ids by `__typename`, string and int values by
 * field name). Seeding drives every mutation and query from the schema, so new entity types are
 * created and collected without anyone listing them.
 */
export interface Tenant {
  label: string;
  token: string;
  marker: string;
  ids: Map<string, Set<string>>;
  strings: Map<string, string[]>;
  ints: Map<string, number[]>;
}

export const newTenant = (label: string, token: string, marker: string): Tenant => ({ label, token, marker, ids: new Map(), strings: new Map(), ints: new Map() });

export const allIds = (tenant: Tenant): Set<string> => new Set([...tenant.ids.values()].flatMap((s) => [...s]));

/** Remembers what a response revealed: entity ids by type, strings and ints by field name. */
export const absorb = (tenant: Tenant, data: unknown): void => {
  visitEntities(data, (typename, id) => {
    if (!tenant.ids.has(typename)) tenant.ids.set(typename, new Set());
    tenant.ids.get(typename)?.add(id);
  });
  visitStrings(data, (key, text) => {
    if (key === '__typename' || key === 'id' || text.length > 20_000) return;
    const list = tenant.strings.get(key) ?? [];
    if (!list.includes(text) && list.length < 20) list.push(text);
    tenant.strings.set(key, list);
  });
  const walkInts = (value: unknown, key: string): void => {
    if (typeof value === 'number' && Number.isInteger(value)) {
      const list = tenant.ints.get(key) ?? [];
      if (!list.includes(value) && list.length < 20) list.push(value);
      tenant.ints.set(key, list);
    } else if (Array.isArray(value)) for (const item of value) walkInts(item, key);
    else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) walkInts(v, k);
  };
  walkInts(data, '');
};

/** The entity types an ID slot most plausibly refers to, from its name (`configId` → Config) or the field's return type. */
export const typesForSlot = (slot: Slot, returnType: string, known: Iterable<string>): string[] => {
  const base = slot.name === 'id' || slot.name === 'ids' ? returnType : slot.name.replace(/Ids?$/, '');
  const lower = base.toLowerCase();
  const types = [...known];
  const exact = types.filter((t) => t.toLowerCase() === lower);
  if (exact.length) return exact;
  // personId, staffUserId, subjectId... → the types whose name ends the slot name, or that end with it.
  const named = types.filter((t) => lower.endsWith(t.toLowerCase()) || (lower.length >= 4 && t.toLowerCase().endsWith(lower)));
  if (named.length) return named;
  // People go by many names (member, manager, person, author...): they are users.
  return /person|member|manager|staff|author|owner|actor|assignee|people/.test(lower) ? types.filter((t) => t === 'User') : [];
};

const hash = (text: string): number => {
  let h = 2166136261;
  for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
};

let counter = 0;
/** A unique, plausible string for a field name, carrying the tenant marker where free text fits. */
export const plausibleString = (tenant: Tenant, name: string, long?: boolean): string => {
  counter += 1;
  const n = counter;
  const m = tenant.marker;
  if (/email/i.test(name)) return `${name.toLowerCase()}${n}.${m}@${tenant.label.toLowerCase()}.test`;
  if (/password|secret/i.test(name)) return `a-long-password-${m}-${n}`;
  if (/url|website|link|domain|href/i.test(name)) return `https://${m}-${n}.example.test/page`;
  if (/locale|language/i.test(name)) return 'en';
  if (/currency/i.test(name)) return 'USD';
  if (/timezone/i.test(name)) return 'UTC';
  if (/phone/i.test(name)) return '+15550100' + String(n % 100).padStart(2, '0');
  if (/scope/i.test(name)) return 'org:read';
  if (/^(skill|tag|topic|kind)s?$/i.test(name)) return `${m}${n}`;
  if (/document|json/i.test(name)) return '{}';
  if (/name|title|label|subject|code|key|role|stage|status|channel|type/i.test(name) || long === false) return `${m} ${name} ${n}`;
  return `${m} ${name} ${n}: a plausible, specific sentence about the customer's onboarding, support volume, goals and escalation rules.`;
};

/**
 * Values for one tenant's requests. `seeded` picks from the tenant's pools at random (reproducible);
 * otherwise choices are deterministic per slot, so a control request and an attack request differ
 * only in the slot under test.
 */
export const sourceFor = (tenant: Tenant, returnType: string, options: { random?: () => number; fillOptionalIds: boolean }): ValueSource => {
  const pick = <T>(list: T[], key: string): T => list[options.random ? Math.floor(options.random() * list.length) : hash(key) % list.length];
  return {
    id(slot) {
      const types = typesForSlot(slot, returnType, tenant.ids.keys());
      const candidates = (types.length ? types : [...tenant.ids.keys()]).flatMap((t) => [...(tenant.ids.get(t) ?? [])]);
      return candidates.length ? pick(candidates, slot.path.join('.')) : '01JZZZZZZZZZZZZZZZZZZZZZZZ';
    },
    string(slot) {
      const observed = tenant.strings.get(slot.name);
      if (observed?.length && !/email|name|title/i.test(slot.name)) return pick(observed, slot.path.join('.'));
      return plausibleString(tenant, slot.name, options.random ? options.random() < 0.7 : undefined);
    },
    int(slot) {
      if (/^(first|limit|highlights)$/.test(slot.name)) return 20;
      const observed = tenant.ints.get(slot.name);
      if (observed?.length && (!options.random || options.random() < 0.7)) return pick(observed, slot.path.join('.'));
      if (options.random) return pick([1, 2, 3, 4, 5, 7, 10, 50], slot.path.join('.'));
      if (/size|group/i.test(slot.name)) return 5;
      return 3;
    },
    enumValue(slot, values) {
      return pick(values, slot.path.join('.'));
    },
    listLength(slot) {
      return options.random ? pick([1, 2, 3, 3, 7], slot.path.join('.')) : 1;
    },
    fillOptional(_slot: Slot, type: GraphQLInputType) {
      return options.fillOptionalIds && carriesIds(type) ? (options.random ? options.random() < 0.6 : true) : false;
    },
  };
};

/** Variables for a root field: every required argument, and the optional ones that carry ids. */
export const variablesFor = (field: GraphQLField<unknown, unknown>, source: ValueSource, includeOptionalIds: boolean): Record<string, unknown> => {
  const variables: Record<string, unknown> = {};
  for (const arg of field.args) {
    const required = isNonNullType(arg.type) && arg.defaultValue === undefined;
    if (required || (includeOptionalIds && carriesIds(arg.type))) variables[arg.name] = valueFor(arg.type, [arg.name], source);
  }
  return variables;
};

export interface Outcome {
  field: string;
  result: GraphQLResult;
}

/** Runs one generated call of a root field as the tenant and absorbs what came back. */
export const callAs = async (url: string, schema: GraphQLSchema, root: GraphQLObjectType, field: GraphQLField<unknown, unknown>, tenant: Tenant, variables: Record<string, unknown>, depth = 2): Promise<GraphQLResult> => {
  const result = await gql(url, operationFor(schema, root, field, depth), variables, tenant.token);
  if (result.body.data) absorb(tenant, result.body.data);
  return result;
};

/** Seeds a tenant by calling every mutation (then every query) with generated values, in several passes. */
export const seedTenant = async (url: string, schema: GraphQLSchema, tenant: Tenant, options: { passes: number; seed: number; skip: RegExp }): Promise<Outcome[]> => {
  const random = prng(options.seed);
  const outcomes: Outcome[] = [];
  const mutation = schema.getMutationType();
  const query = schema.getQueryType();
  const roots = [...(query ? [query] : []), ...Array.from({ length: options.passes }, () => mutation).filter((m): m is GraphQLObjectType => !!m), ...(query ? [query] : [])];
  for (const root of roots) {
    for (const field of Object.values(root.getFields())) {
      if (options.skip.test(field.name)) continue;
      const source = sourceFor(tenant, getNamedType(field.type).name, { random, fillOptionalIds: true });
      const variables = variablesFor(field, source, true);
      outcomes.push({ field: `${root.name}.${field.name}`, result: await callAs(url, schema, root, field, tenant, variables) });
    }
  }
  return outcomes;
};

import {
  GraphQLError,
  Kind,
  getArgumentValues,
  getNamedType,
  getOperationAST,
  getVariableValues,
  isLeafType,
  isObjectType,
  print,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type SelectionSetNode,
  type VariableDefinitionNode,
} from 'graphql';
import type { LiveSpec } from './live.ts';

/** One result filter derived from a subscription argument (see `planRefetch`). */
export interface ResultFilter {
  arg: string;
  field: string;
  alias: string;
  values: string[];
}

/** Everything the engine needs for one subscription, built once at subscribe time. */
export interface RefetchPlan {
  spec: LiveSpec;
  /** The subscriber's response key for the root field (alias or name). */
  responseKey: string;
  /** `query LiveRefetch($liveId: ID!, ...) { <refetch>(id: $liveId) { ...selection } }` plus the fragments it uses. */
  query: string;
  /** Values of the operation variables the selection uses (the refetch passes them on). */
  variables: Record<string, unknown>;
  /** The root field's coerced arguments. */
  args: Record<string, unknown>;
  /** `kinds` argument: the envelope `type` must be one of these. Null = no filter. */
  kinds: string[] | null;
  /** `after` argument: resume from this event id. */
  after: string | null;
  filters: ResultFilter[];
}

export const REFETCH_ID_VARIABLE = 'liveId';
const FILTER_ALIAS_PREFIX = 'live_filter_';

const fail = (message: string, code: string, hint: string): GraphQLError => new GraphQLError(message, { extensions: { code, hint } });

const asStrings = (value: unknown): string[] => (Array.isArray(value) ? value : [value]).filter((v) => v !== null && v !== undefined).map((v) => String(v));

/**
 * The rule for arguments other than `kinds` and `after` (kept generic, no per-field code):
 * an argument `x` filters the refetched object when that object's type has a leaf field `x`
 * (equality, or membership when the argument is a list), or, for a plural argument, its singular
 * (`severities` → `severity`, `teamIds` → `teamId`). The field is added to the refetch under a
 * private alias and removed before delivery. An argument that matches no such field is rejected at
 * subscribe time (never silently ignored, which would over-deliver).
 */
const filterFor = (arg: string, value: unknown, type: GraphQLObjectType): ResultFilter | GraphQLError => {
  const fields = type.getFields();
  const candidates = [arg, arg.endsWith('ies') ? `${arg.slice(0, -3)}y` : '', arg.endsWith('s') ? arg.slice(0, -1) : ''].filter(Boolean);
  for (const name of candidates) {
    const field = fields[name];
    if (field && isLeafType(getNamedType(field.type))) return { arg, field: name, alias: `${FILTER_ALIAS_PREFIX}${name}`, values: asStrings(value) };
  }
  return fail(`Argument "${arg}" cannot be applied: ${type.name} has no leaf field ${candidates.map((c) => `"${c}"`).join(' or ')}`, 'BAD_USER_INPUT', `The gateway filters live events on fields of the refetched ${type.name}; remove "${arg}" or ask the owning subgraph to expose it.`);
};

/** Fragments used by a selection set, transitively. */
const usedFragments = (selection: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>): FragmentDefinitionNode[] => {
  const seen = new Map<string, FragmentDefinitionNode>();
  const walk = (node: SelectionSetNode | FragmentDefinitionNode): void => {
    visit(node, {
      FragmentSpread(spread) {
        const name = spread.name.value;
        const fragment = fragments.get(name);
        if (!fragment || seen.has(name)) return;
        seen.set(name, fragment);
        walk(fragment);
      },
    });
  };
  walk(selection);
  return [...seen.values()];
};

const usedVariables = (nodes: ReadonlyArray<SelectionSetNode | FragmentDefinitionNode>): Set<string> => {
  const names = new Set<string>();
  for (const node of nodes) visit(node, { Variable: (v) => void names.add(v.name.value) });
  return names;
};

/**
 * Turns a validated subscription operation into its refetch plan. Throws GraphQLError (clear message,
 * `extensions.code`, `hint`) when the operation cannot be served.
 */
export const planRefetch = (schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined | null, rawVariables: Record<string, unknown> | undefined | null, specs: ReadonlyMap<string, LiveSpec>): RefetchPlan => {
  const operation = getOperationAST(document, operationName);
  if (!operation) throw fail('Unable to identify the operation', 'BAD_USER_INPUT', 'Send one operation, or name it with operationName.');
  if (operation.operation !== 'subscription') throw fail('Only subscriptions are served over WebSocket', 'BAD_USER_INPUT', 'Send queries and mutations over HTTP POST /graphql.');
  const subscriptionType = schema.getSubscriptionType();
  const queryType = schema.getQueryType();
  if (!subscriptionType || !queryType) throw fail('This supergraph has no Subscription type', 'BAD_USER_INPUT', 'No subgraph declares Subscription fields yet.');
  const root = operation.selectionSet.selections;
  const field = root.length === 1 && root[0].kind === Kind.FIELD ? (root[0] as FieldNode) : null;
  if (!field) throw fail('A subscription selects exactly one root field, written inline', 'BAD_USER_INPUT', 'Write `subscription { timeline { ... } }` without fragments at the root.');
  const name = field.name.value;
  const spec = specs.get(name);
  if (!spec) throw fail(`Subscription.${name} has no event source`, 'BAD_USER_INPUT', `The owning subgraph must declare @live(topics:, refetch:) on Subscription.${name}.`);
  const refetchField = queryType.getFields()[spec.refetch];
  const rootDef = subscriptionType.getFields()[name];
  const refetchType = refetchField ? getNamedType(refetchField.type) : null;
  if (!refetchField || !refetchType || !isObjectType(refetchType) || !refetchField.args.some((a) => a.name === 'id')) {
    throw fail(`Subscription.${name} refetches with Query.${spec.refetch}(id:), which the supergraph does not offer`, 'INTERNAL_SERVER_ERROR', `The owning subgraph must expose Query.${spec.refetch}(id: ID!) returning ${getNamedType(rootDef.type).name}.`);
  }
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables ?? {});
  if (coerced.errors) throw coerced.errors[0];
  const args = getArgumentValues(rootDef, field, coerced.coerced);
  const kinds = Array.isArray(args.kinds) ? asStrings(args.kinds) : null;
  const after = typeof args.after === 'string' ? args.after : null;
  const filters: ResultFilter[] = [];
  for (const [arg, value] of Object.entries(args)) {
    if (arg === 'kinds' || arg === 'after' || value === null || value === undefined) continue;
    const filter = filterFor(arg, value, refetchType);
    if (filter instanceof GraphQLError) throw filter;
    filters.push(filter);
  }
  if (!field.selectionSet) throw fail(`Subscription.${name} needs a selection set`, 'BAD_USER_INPUT', 'Select at least `id`.');

  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const used = usedFragments(field.selectionSet, fragments);
  const variableNames = usedVariables([field.selectionSet, ...used]);
  const definitions: VariableDefinitionNode[] = (operation.variableDefinitions ?? []).filter((d) => variableNames.has(d.variable.name.value));
  if (variableNames.has(REFETCH_ID_VARIABLE)) throw fail(`$${REFETCH_ID_VARIABLE} is reserved in live selections`, 'BAD_USER_INPUT', 'Rename the variable.');
  const variables: Record<string, unknown> = {};
  for (const d of definitions) if (d.variable.name.value in coerced.coerced) variables[d.variable.name.value] = coerced.coerced[d.variable.name.value];
  const selection = print(field.selectionSet).slice(1, -1).trim();
  const extra = filters.map((f) => `${f.alias}: ${f.field}`).join(' ');
  const header = [`$${REFETCH_ID_VARIABLE}: ID!`, ...definitions.map((d) => print(d))].join(', ');
  const query = [`query LiveRefetch(${header}) { ${spec.refetch}(id: $${REFETCH_ID_VARIABLE}) { ${selection} ${extra} } }`, ...used.map((f) => print(f))].join('\n');
  return { spec, responseKey: field.alias?.value ?? name, query, variables, args, kinds, after, filters };
};

/** Applies the plan's result filters to a refetched object and strips their private aliases. Null = filtered out. */
export const applyFilters = (plan: RefetchPlan, value: Record<string, unknown>): Record<string, unknown> | null => {
  if (plan.filters.length === 0) return value;
  for (const filter of plan.filters) {
    const actual = value[filter.alias];
    if (actual === null || actual === undefined || !filter.values.includes(String(actual))) return null;
  }
  const copy: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) if (!key.startsWith(FILTER_ALIAS_PREFIX)) copy[key] = v;
  return copy;
};

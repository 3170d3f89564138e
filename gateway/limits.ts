import {
  GraphQLError,
  Kind,
  getNamedType,
  getNullableType,
  isInterfaceType,
  isListType,
  isObjectType,
  parse,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';

export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxCost: number;
}

export interface OperationAnalysis {
  depth: number;
  aliases: number;
  cost: number;
}

const tooComplex = (message: string, hint: string, rootCause: string): GraphQLError =>
  new GraphQLError(message, { extensions: { code: 'QUERY_TOO_COMPLEX', hint, rootCause, http: { status: 400 } } });

/**
 * Depth of the deepest field path, following fragments. Each fragment's depth is computed once
 * (memoized), so a "fragment bomb" (each fragment spreading the next one twice) costs linear time;
 * cycles are cut (validation rejects them anyway).
 */
const depthOf = (selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, memo: Map<string, number>, visiting: Set<string>): number => {
  let max = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith('__')) continue;
      max = Math.max(max, 1 + (selection.selectionSet ? depthOf(selection.selectionSet, fragments, memo, visiting) : 0));
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      max = Math.max(max, depthOf(selection.selectionSet, fragments, memo, visiting));
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment || visiting.has(name)) continue;
      let depth = memo.get(name);
      if (depth === undefined) {
        visiting.add(name);
        depth = depthOf(fragment.selectionSet, fragments, memo, visiting);
        visiting.delete(name);
        memo.set(name, depth);
      }
      max = Math.max(max, depth);
    }
  }
  return max;
};

const SIZE_ARGUMENTS = new Set(['first', 'last', 'limit']);

/** Names of the variables that set list sizes (`first`/`last`/`limit`): the only ones cost depends on. */
export const sizeVariablesOf = (document: DocumentNode): string[] => {
  const names = new Set<string>();
  visit(document, {
    Argument: (node) => void (SIZE_ARGUMENTS.has(node.name.value) && node.value.kind === Kind.VARIABLE ? names.add(node.value.name.value) : undefined),
  });
  return [...names].sort();
};

/** The size a field's `first`/`last`/`limit` argument asks for, or null without one. */
const sizeArgument = (node: FieldNode, variables: Record<string, unknown>): number | null => {
  for (const arg of node.arguments ?? []) {
    if (!SIZE_ARGUMENTS.has(arg.name.value)) continue;
    if (arg.value.kind === Kind.INT) return Math.max(1, Number(arg.value.value));
    if (arg.value.kind === Kind.VARIABLE) {
      const value = variables[arg.value.name.value];
      if (typeof value === 'number') return Math.max(1, value);
    }
  }
  return null;
};

/**
 * Estimated cost: every field costs 1, times the product of the sizes of the lists above it. A list's
 * size is its own `first`/`last`/`limit` argument; a list directly under a field that has one (a Relay
 * connection's `edges` under `things(first: 100)`) takes that size; otherwise 10. Needs the API schema.
 * Fragment spreads count as often as they are spread (each fragment's cost is computed once per
 * context and multiplied), so a fragment bomb costs what its execution would: exponential, and over
 * the limit.
 */
const costOf = (document: DocumentNode, schema: GraphQLSchema | null, variables: Record<string, unknown>, fragments: Map<string, FragmentDefinitionNode>): number => {
  if (!schema) return 0;
  const memo = new Map<string, number>();
  const visiting = new Set<string>();
  const selectionCost = (selectionSet: SelectionSetNode, parent: GraphQLNamedType | undefined, childListSize: number | null): number => {
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        cost += 1;
        if (!selection.selectionSet) continue;
        const field = parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[selection.name.value] : undefined;
        const nullable = field ? getNullableType(field.type) : null;
        const named = field ? getNamedType(field.type) : undefined;
        const size = sizeArgument(selection, variables);
        if (nullable && isListType(nullable)) cost += (size ?? childListSize ?? 10) * selectionCost(selection.selectionSet, named, null);
        else cost += selectionCost(selection.selectionSet, named, size);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        cost += selectionCost(selection.selectionSet, selection.typeCondition ? schema.getType(selection.typeCondition.name.value) ?? parent : parent, childListSize);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || visiting.has(name)) continue;
        const key = `${name}|${childListSize ?? ''}`;
        let fragmentCost = memo.get(key);
        if (fragmentCost === undefined) {
          visiting.add(name);
          fragmentCost = selectionCost(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) ?? undefined, childListSize);
          visiting.delete(name);
          memo.set(key, fragmentCost);
        }
        cost += fragmentCost;
      }
    }
    return cost;
  };
  let total = 0;
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const root = definition.operation === 'mutation' ? schema.getMutationType() : definition.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
    total += selectionCost(definition.selectionSet, root ?? undefined, null);
  }
  return total;
};

/**
 * Parses with a token limit and measures depth, aliases and cost before Apollo validates the
 * operation, so an alias bomb never reaches the (quadratic) overlap validation.
 */
export const analyzeOperation = (query: string, limits: OperationLimits, schema: GraphQLSchema | null, variables: Record<string, unknown> = {}): { document: DocumentNode; analysis: OperationAnalysis } => {
  let document: DocumentNode;
  try {
    document = parse(query, { maxTokens: limits.maxTokens, noLocation: true });
  } catch (error) {
    const message = (error as Error).message;
    if (/token limit|more th\w* \d+ tokens/i.test(message)) throw tooComplex(`Query has more than ${limits.maxTokens} tokens`, 'Split the query, or use fragments and variables instead of repeated literals.', 'token limit');
    throw new GraphQLError(message, { extensions: { code: 'GRAPHQL_PARSE_FAILED', hint: 'The query is not valid GraphQL. Check braces and quoting.', http: { status: 400 } } });
  }
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  let depth = 0;
  const depthMemo = new Map<string, number>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) depth = Math.max(depth, depthOf(definition.selectionSet, fragments, depthMemo, new Set()));
  }
  let aliases = 0;
  visit(document, { Field: (node) => void (node.alias ? (aliases += 1) : 0) });
  if (depth > limits.maxDepth) throw tooComplex(`Query depth ${depth} exceeds the limit of ${limits.maxDepth}`, 'Fetch nested data in a second query, starting from the ids of the first.', 'depth limit');
  if (aliases > limits.maxAliases) throw tooComplex(`Query uses ${aliases} aliases; the limit is ${limits.maxAliases}`, 'Use a list field with variables instead of many aliased copies.', 'alias limit');
  const cost = costOf(document, schema, variables, fragments);
  if (cost > limits.maxCost) throw tooComplex(`Estimated query cost ${cost} exceeds the limit of ${limits.maxCost}`, 'Ask for smaller pages (first) or fewer nested lists.', 'cost limit');
  return { document, analysis: { depth, aliases, cost } };
};

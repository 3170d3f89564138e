import {
  GraphQLError,
  Kind,
  TypeInfo,
  getNamedType,
  getNullableType,
  isListType,
  parse,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
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

/** Depth of the deepest field path, following fragments (cycles are cut: validation rejects them anyway). */
const depthOf = (selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, seen: Set<string>): number => {
  let max = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith('__')) continue;
      max = Math.max(max, 1 + (selection.selectionSet ? depthOf(selection.selectionSet, fragments, seen) : 0));
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      max = Math.max(max, depthOf(selection.selectionSet, fragments, seen));
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment || seen.has(name)) continue;
      max = Math.max(max, depthOf(fragment.selectionSet, fragments, new Set([...seen, name])));
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
 */
const costOf = (document: DocumentNode, schema: GraphQLSchema | null, variables: Record<string, unknown>): number => {
  if (!schema) return 0;
  const typeInfo = new TypeInfo(schema);
  const stack: Array<{ multiplier: number; childListSize: number | null }> = [{ multiplier: 1, childListSize: null }];
  let cost = 0;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field: {
        enter(node) {
          const type = typeInfo.getType();
          const parent = stack[stack.length - 1];
          cost += parent.multiplier;
          const nullable = type ? getNullableType(type) : null;
          const size = sizeArgument(node, variables);
          if (nullable && isListType(nullable) && getNamedType(nullable)) stack.push({ multiplier: parent.multiplier * (size ?? parent.childListSize ?? 10), childListSize: null });
          else stack.push({ multiplier: parent.multiplier, childListSize: size });
        },
        leave() {
          stack.pop();
        },
      },
    }),
  );
  return cost;
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
    if (/token limit/i.test(message)) throw tooComplex(`Query has more than ${limits.maxTokens} tokens`, 'Split the query, or use fragments and variables instead of repeated literals.', 'token limit');
    throw new GraphQLError(message, { extensions: { code: 'GRAPHQL_PARSE_FAILED', hint: 'The query is not valid GraphQL. Check braces and quoting.', http: { status: 400 } } });
  }
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  let depth = 0;
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) depth = Math.max(depth, depthOf(definition.selectionSet, fragments, new Set()));
  }
  let aliases = 0;
  visit(document, { Field: (node) => void (node.alias ? (aliases += 1) : 0) });
  if (depth > limits.maxDepth) throw tooComplex(`Query depth ${depth} exceeds the limit of ${limits.maxDepth}`, 'Fetch nested data in a second query, starting from the ids of the first.', 'depth limit');
  if (aliases > limits.maxAliases) throw tooComplex(`Query uses ${aliases} aliases; the limit is ${limits.maxAliases}`, 'Use a list field with variables instead of many aliased copies.', 'alias limit');
  const cost = costOf(document, schema, variables);
  if (cost > limits.maxCost) throw tooComplex(`Estimated query cost ${cost} exceeds the limit of ${limits.maxCost}`, 'Ask for smaller pages (first) or fewer nested lists.', 'cost limit');
  return { document, analysis: { depth, aliases, cost } };
};

import { Kind, parse, type ConstDirectiveNode, type ConstValueNode, type DocumentNode } from 'graphql';

/** The URL of the `@live` feature subgraphs import with `@link` and export with `@composeDirective`. */
export const LIVE_SPEC_URL = 'https://cognitive-mesh.dev/live/v1.0';

/** What `@live(topics:, types:, refetch:)` declares on one `Subscription` field of the supergraph. */
export interface LiveSpec {
  field: string;
  /** Bus topics that feed the field. */
  topics: string[];
  /** Event types (envelope `type`) that feed it; null means every type on those topics. */
  types: string[] | null;
  /** The `Query` field that refetches the event subject by id: `<refetch>(id: ID!)`. */
  refetch: string;
}

const stringList = (value: ConstValueNode | undefined): string[] | null => {
  if (!value || value.kind === Kind.NULL) return null;
  if (value.kind === Kind.STRING) return [value.value];
  if (value.kind !== Kind.LIST) return null;
  return value.values.flatMap((v) => (v.kind === Kind.STRING ? [v.value] : []));
};

/** The local name of `@live` in the supergraph: `@link(url: ".../live/v1.0", import: ["@live"])` or `{ name: "@live", as: "@x" }`. */
const liveDirectiveName = (document: DocumentNode): string => {
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.SCHEMA_DEFINITION && definition.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const directive of definition.directives ?? []) {
      if (directive.name.value !== 'link') continue;
      const url = directive.arguments?.find((a) => a.name.value === 'url')?.value;
      if (!url || url.kind !== Kind.STRING || !url.value.startsWith(LIVE_SPEC_URL.replace(/v1\.0$/, ''))) continue;
      const imports = directive.arguments?.find((a) => a.name.value === 'import')?.value;
      if (imports?.kind !== Kind.LIST) continue;
      for (const entry of imports.values) {
        if (entry.kind === Kind.STRING && entry.value === '@live') return 'live';
        if (entry.kind === Kind.OBJECT) {
          const name = entry.fields.find((f) => f.name.value === 'name')?.value;
          const as = entry.fields.find((f) => f.name.value === 'as')?.value;
          if (name?.kind === Kind.STRING && name.value === '@live' && as?.kind === Kind.STRING) return as.value.replace(/^@/, '');
        }
      }
    }
  }
  return 'live';
};

/**
 * Reads every `Subscription` field's `@live` declaration from the composed supergraph SDL
 * (the directive is exported with `@composeDirective`, so composition keeps it on the field).
 * This is the gateway's only source of truth for which event source feeds which field.
 */
export const liveSpecsOf = (supergraphSdl: string): Map<string, LiveSpec> => {
  const document = parse(supergraphSdl, { noLocation: true });
  const directiveName = liveDirectiveName(document);
  let subscriptionType = 'Subscription';
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.SCHEMA_DEFINITION) continue;
    const op = definition.operationTypes.find((o) => o.operation === 'subscription');
    if (op) subscriptionType = op.type.name.value;
  }
  const specs = new Map<string, LiveSpec>();
  for (const definition of document.definitions) {
    if ((definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) || definition.name.value !== subscriptionType) continue;
    for (const field of definition.fields ?? []) {
      const directive: ConstDirectiveNode | undefined = field.directives?.find((d) => d.name.value === directiveName);
      if (!directive) continue;
      const arg = (name: string): ConstValueNode | undefined => directive.arguments?.find((a) => a.name.value === name)?.value;
      const topics = stringList(arg('topics')) ?? [];
      const refetch = arg('refetch');
      if (topics.length === 0 || refetch?.kind !== Kind.STRING) {
        throw new Error(`Subscription.${field.name.value}: @${directiveName} needs topics: [String!]! and refetch: String!`);
      }
      specs.set(field.name.value, { field: field.name.value, topics, types: stringList(arg('types')), refetch: refetch.value });
    }
  }
  return specs;
};

import { Kind, isObjectType, parse, buildASTSchema, type DocumentNode, type GraphQLSchema } from 'graphql';

/** Types that need no provenance: roots, Provenance itself, PageInfo, connection and edge wrappers. */
const EXEMPT = new Set(['Query', 'Mutation', 'Subscription', 'Provenance', 'PageInfo']);

/** Object types of a composed supergraph that lack `provenance: Provenance!`. */
export const typesWithoutProvenance = (supergraphSdl: string): string[] => {
  const schema: GraphQLSchema = buildASTSchema(parse(supergraphSdl), { assumeValidSDL: true });
  const missing: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__') || type.name.startsWith('join__') || type.name.startsWith('link__')) continue;
    if (EXEMPT.has(type.name) || /(Connection|Edge)$/.test(type.name)) continue;
    const field = type.getFields().provenance;
    if (!field || String(field.type) !== 'Provenance!') missing.push(type.name);
  }
  return missing.sort();
};

/** Every type, field, argument, enum value and input field of a subgraph SDL without a docstring. */
export const undocumented = (document: DocumentNode): string[] => {
  const missing: string[] = [];
  for (const definition of document.definitions) {
    if (!('name' in definition) || !definition.name) continue;
    const typeName = definition.name.value;
    if (definition.kind === Kind.DIRECTIVE_DEFINITION) continue;
    const isExtension = definition.kind === Kind.OBJECT_TYPE_EXTENSION;
    if (!isExtension && (!('description' in definition) || !definition.description)) missing.push(typeName);
    if (definition.kind === Kind.OBJECT_TYPE_DEFINITION || definition.kind === Kind.INTERFACE_TYPE_DEFINITION || definition.kind === Kind.OBJECT_TYPE_EXTENSION) {
      for (const field of definition.fields ?? []) {
        if (!field.description) missing.push(`${typeName}.${field.name.value}`);
        for (const arg of field.arguments ?? []) if (!arg.description) missing.push(`${typeName}.${field.name.value}(${arg.name.value})`);
      }
    }
    if (definition.kind === Kind.INPUT_OBJECT_TYPE_DEFINITION) {
      for (const field of definition.fields ?? []) if (!field.description) missing.push(`${typeName}.${field.name.value}`);
    }
    if (definition.kind === Kind.ENUM_TYPE_DEFINITION) {
      for (const value of definition.values ?? []) if (!value.description) missing.push(`${typeName}.${value.name.value}`);
    }
  }
  return missing;
};

import { defaultFieldResolver, isObjectType, type ConstDirectiveNode, type GraphQLFieldResolver, type GraphQLSchema, valueFromASTUntyped } from 'graphql';
import type { ApolloGraphQLObjectTypeExtensions } from '@apollo/subgraph/dist/schemaExtensions.js';
import { forbidden, unauthenticated } from '../errors.ts';
import type { RequestContext } from '../context.ts';

type Requirement = { authenticated: boolean; scopes: string[][] | null };

const readRequirement = (directives: readonly ConstDirectiveNode[] | undefined): Requirement | null => {
  let authenticated = false;
  let scopes: string[][] | null = null;
  for (const directive of directives ?? []) {
    const name = directive.name.value.replace(/^federation__/, '');
    if (name === 'authenticated') authenticated = true;
    if (name === 'requiresScopes') {
      const arg = directive.arguments?.find((a) => a.name.value === 'scopes');
      const value = arg ? (valueFromASTUntyped(arg.value) as unknown) : [];
      scopes = Array.isArray(value) ? value.map((group) => (Array.isArray(group) ? group.map(String) : [String(group)])) : [];
    }
  }
  return authenticated || scopes ? { authenticated: authenticated || scopes !== null, scopes } : null;
};

const merge = (a: Requirement | null, b: Requirement | null): Requirement | null => {
  if (!a) return b;
  if (!b) return a;
  return { authenticated: true, scopes: [...(a.scopes ?? []), ...(b.scopes ?? [])].length ? [...(a.scopes ?? []), ...(b.scopes ?? [])] : null };
};

/**
 * Enforces `@authenticated` and `@requiresScopes(scopes: [[...]])` in the subgraph, exactly as
 * Apollo Router would: no principal → UNAUTHENTICATED; scopes are OR of AND-groups → FORBIDDEN.
 * Type-level directives guard every field of the type and its `__resolveReference`.
 */
export const check = (requirement: Requirement, ctx: RequestContext): void => {
  if (!ctx.principal) throw unauthenticated();
  if (!requirement.scopes) return;
  const held = new Set(ctx.principal.scopes);
  const ok = requirement.scopes.some((group) => group.every((scope) => held.has(scope)));
  if (!ok) {
    const wanted = requirement.scopes.map((g) => g.join(' + ')).join(' or ');
    throw forbidden(`Requires scope ${wanted}`, `Your role does not grant ${wanted} in this organization. Ask an Owner or Admin.`);
  }
};

export const enforceAuthDirectives = (schema: GraphQLSchema): GraphQLSchema => {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const typeRequirement = readRequirement([...(type.astNode?.directives ?? []), ...type.extensionASTNodes.flatMap((n) => n.directives ?? [])]);
    for (const field of Object.values(type.getFields())) {
      const requirement = merge(typeRequirement, readRequirement(field.astNode?.directives));
      if (!requirement) continue;
      const original: GraphQLFieldResolver<unknown, RequestContext> = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, ctx: RequestContext, info) => {
        check(requirement, ctx);
        return original(source, args, ctx, info);
      };
    }
    const extensions = type.extensions as ApolloGraphQLObjectTypeExtensions<unknown, RequestContext>;
    const reference = extensions.apollo?.subgraph?.resolveReference;
    if (typeRequirement && reference && extensions.apollo?.subgraph) {
      extensions.apollo.subgraph.resolveReference = (ref, ctx: RequestContext, info) => {
        check(typeRequirement, ctx);
        return reference(ref, ctx, info);
      };
    }
  }
  return schema;
};

import { Kind, parse, type EnumValueDefinitionNode } from 'graphql';

/** The subgraphs a supergraph declares: `join__Graph` values with their `@join__graph(name:, url:)`. */
export const subgraphsOf = (supergraphSdl: string): Array<{ name: string; url: string }> => {
  const document = parse(supergraphSdl, { noLocation: true });
  const result: Array<{ name: string; url: string }> = [];
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.ENUM_TYPE_DEFINITION || definition.name.value !== 'join__Graph') continue;
    for (const value of definition.values ?? ([] as EnumValueDefinitionNode[])) {
      const directive = value.directives?.find((d) => d.name.value === 'join__graph');
      const arg = (name: string): string => {
        const node = directive?.arguments?.find((a) => a.name.value === name)?.value;
        return node && node.kind === Kind.STRING ? node.value : '';
      };
      result.push({ name: arg('name') || value.name.value.toLowerCase(), url: arg('url') });
    }
  }
  return result;
};

/**
 * `@apollo/gateway` refuses supergraphs whose `@link(..., for: SECURITY)` features it does not know
 * (`@authenticated`, `@requiresScopes`, `@policy` are Apollo Router features). In this product the
 * subgraphs enforce those directives themselves (zero trust), so the gateway may plan over them:
 * we drop only the `for: SECURITY` purpose of those links before handing the SDL to the gateway.
 * The committed supergraph.graphql keeps them, so the same file works behind Apollo Router.
 */
export const supergraphForGateway = (supergraphSdl: string): string =>
  supergraphSdl.replace(/(@link\(url: "https:\/\/specs\.apollo\.dev\/(?:authenticated|requiresScopes|policy)\/v[\d.]+"), for: SECURITY\)/g, '$1)');

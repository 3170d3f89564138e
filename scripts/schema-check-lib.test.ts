import { parse } from 'graphql';
import { typesWithoutProvenance, undocumented } from './schema-check-lib.ts';
import { composeFromRoverConfig } from './compose-lib.ts';

describe('schema checks', () => {
  it('finds object types without provenance, exempting roots, PageInfo and connection wrappers', () => {
    const sdl = `
      type Query { a: A }
      type A { id: ID! provenance: Provenance! }
      type B { id: ID! }
      type C { id: ID! provenance: Provenance }
      type AConnection { edges: [AEdge!]! pageInfo: PageInfo! }
      type AEdge { node: A! cursor: String! }
      type PageInfo { hasNextPage: Boolean! }
      type Provenance { origin: String! }`;
    expect(typesWithoutProvenance(sdl)).toEqual(['B', 'C']);
  });

  it('lists every undocumented type, field, argument, enum value and input field', () => {
    const doc = parse(`
      """Documented."""
      type A { """ok""" ok: Int  bad(x: Int): Int }
      type B { """ok""" ok: Int }
      """Documented."""
      enum E { """ok""" X Y }
      """Documented."""
      input I { a: Int }`);
    expect(undocumented(doc)).toEqual(['A.bad', 'A.bad(x)', 'B', 'E.Y', 'I.a']);
  });

  it('the committed supergraph has provenance on every object type', () => {
    const { supergraphSdl } = composeFromRoverConfig('rover.yaml');
    expect(typesWithoutProvenance(supergraphSdl)).toEqual([]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { gql, signIn, startTestMesh, type TestMesh } from '../test/client.ts';

/**
 * Operation limits through the real gateway when list sizes come from variables: verdicts are cached
 * per query text and size-variable values, so a cheap request must never unlock an expensive one
 * with the same text, nor an expensive one block a cheap one.
 */
let t: TestMesh;
let admin: string;

beforeAll(async () => {
  t = await startTestMesh({ MESH_MAX_COST: '300' });
  admin = (await signIn(t.url, t.adminEmail, t.adminPassword)).accessToken;
});
afterAll(async () => {
  await t?.stop();
});

const PAGE = 'query Directory($n: Int, $after: String) { organizations(first: $n, after: $after) { edges { cursor node { id name slug } } } }';

describe('operation cost with size variables', () => {
  it('judges every set of size values on its own, however often the same text is sent', async () => {
    for (let round = 0; round < 2; round++) {
      const cheap = await gql(t.url, PAGE, { n: 2 }, admin);
      expect(cheap.status).toBe(200);
      expect(cheap.body.errors).toBeUndefined();

      const costly = await gql(t.url, PAGE, { n: 200 }, admin);
      expect(costly.status).toBe(400);
      expect(costly.body.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX' });
      expect(costly.body.errors?.[0]?.extensions.correlationId).toEqual(expect.any(String));
      expect(costly.body.errors?.[0]?.message).toMatch(/cost \d+ exceeds the limit of 300/);
    }
  });

  it('ignores variables that do not size lists when caching a verdict', async () => {
    const first = await gql(t.url, PAGE, { n: 3, after: null }, admin);
    const again = await gql(t.url, PAGE, { n: 3, after: 'not-a-cursor-we-know' }, admin);
    expect(first.status).toBe(200);
    // The second request passes the limits (same size) and reaches the subgraph, which judges the cursor.
    expect(again.body.errors?.[0]?.extensions.code).not.toBe('QUERY_TOO_COMPLEX');
  });
});

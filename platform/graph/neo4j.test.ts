import { systemScope } from '../context.ts';
import { DomainError } from '../errors.ts';
import { newId } from '../ids.ts';
import { graphStoreContract } from './contract.ts';
import { createNeo4jGraph } from './neo4j.ts';

const uri = process.env.NEO4J_URI;
const run = newId().toLowerCase();
const connect = (namespace = `contract-${run}`) => createNeo4jGraph({ uri: uri ?? '', user: process.env.NEO4J_USER, password: process.env.NEO4J_PASSWORD, namespace });

// Runs against a real Neo4j only when NEO4J_URI is set (CI always sets it; see testbed/).
const maybe = process.env.NEO4J_URI ? describe : describe.skip;

maybe('neo4j graph', () => {
  graphStoreContract('neo4j', () => connect());

  it('keeps the graphs of two subgraphs (namespaces) apart in the one shared database, for the same tenant', async () => {
    const impact = await connect(`${run}/impact`);
    const other = await connect(`${run}/other`);
    try {
      const scope = systemScope(`ns-tenant-${run}`, 'namespace isolation test');
      await impact.mergeNode(scope, { id: 'p1', label: 'Person', props: { name: 'Ada' } });
      await impact.mergeNode(scope, { id: 'p2', label: 'Person', props: {} });
      await impact.mergeEdge(scope, { from: 'p1', to: 'p2', type: 'KNOWS', props: {} });
      // The same ids in the other namespace are other nodes: no collision with the unique constraint.
      await other.mergeNode(scope, { id: 'p1', label: 'Robot', props: { name: 'R2' } });

      expect(await other.getNode(scope, 'p2')).toBeNull();
      expect(await other.getNode(scope, 'p1')).toEqual({ id: 'p1', label: 'Robot', props: { name: 'R2' } });
      expect(await other.nodes(scope, 'Person')).toEqual([]);
      expect(await other.edges(scope, 'p1')).toEqual([]);
      expect(await other.shortestPath(scope, 'p1', 'p2')).toBeNull();
      expect((await other.subgraph(scope, {})).nodes.map((n) => n.id)).toEqual(['p1']);
      await expect(other.mergeEdge(scope, { from: 'p1', to: 'p2', type: 'KNOWS', props: {} })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await other.removeNode(scope, 'p1');

      expect(await impact.getNode(scope, 'p1')).toEqual({ id: 'p1', label: 'Person', props: { name: 'Ada' } });
      expect((await impact.edges(scope, 'p1')).map((e) => `${e.from}-${e.type}->${e.to}`)).toEqual(['p1-KNOWS->p2']);
      expect((await impact.health()).detail).toContain(`namespace ${run}/impact`);
    } finally {
      await impact.close();
      await other.close();
    }
  });
});

describe('neo4j graph: start-up', () => {
  it('fails fast with an error naming NEO4J_URI when Neo4j is unreachable', async () => {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    const error = await createNeo4jGraph({ uri: 'bolt://127.0.0.1:1', connectTimeoutMs: 3000, namespace: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('ENGINE_UNAVAILABLE');
    expect((error as DomainError).message).toContain('NEO4J_URI=bolt://127.0.0.1:1');
  });

  it('rejects a URI that is not a Neo4j URL', async () => {
    const error = await createNeo4jGraph({ uri: 'http://127.0.0.1:7474', namespace: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).message).toContain('NEO4J_URI');
  });

  it('rejects a namespace that is not a plain name before connecting', async () => {
    await expect(createNeo4jGraph({ uri: 'bolt://127.0.0.1:1', namespace: "x'}) DETACH DELETE n //" })).rejects.toThrow(/namespace/);
  });
});

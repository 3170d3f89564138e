import { DomainError } from '../errors.ts';
import { graphStoreContract } from './contract.ts';
import { createNeo4jGraph } from './neo4j.ts';

const uri = process.env.NEO4J_URI;
const connect = () => createNeo4jGraph({ uri: uri ?? '', user: process.env.NEO4J_USER, password: process.env.NEO4J_PASSWORD });

// Runs against a real Neo4j only when NEO4J_URI is set (CI always sets it; see testbed/).
const maybe = process.env.NEO4J_URI ? describe : describe.skip;

maybe('neo4j graph', () => {
  graphStoreContract('neo4j', connect);
});

describe('neo4j graph: start-up', () => {
  it('fails fast with an error naming NEO4J_URI when Neo4j is unreachable', async () => {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    const error = await createNeo4jGraph({ uri: 'bolt://127.0.0.1:1', connectTimeoutMs: 3000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('ENGINE_UNAVAILABLE');
    expect((error as DomainError).message).toContain('NEO4J_URI=bolt://127.0.0.1:1');
  });

  it('rejects a URI that is not a Neo4j URL', async () => {
    const error = await createNeo4jGraph({ uri: 'http://127.0.0.1:7474' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).message).toContain('NEO4J_URI');
  });
});

import { randomBytes } from 'node:crypto';
import { systemScope, type TenantScope } from '../context.ts';
import { DomainError } from '../errors.ts';
import type { GraphEdge, GraphNode, GraphStore } from './port.ts';

/**
 * The GraphStore contract: one suite, run against every adapter that is present (embedded always,
 * Neo4j when NEO4J_URI is set). Each test works in fresh, unique tenants, so a shared database needs
 * no cleanup and concurrent runs cannot disturb each other.
 *
 * `reopen` builds a new store over the same backing storage as a closed one (same data directory,
 * same database); it defaults to `makeStore`, which is right for a server-backed engine.
 */
export interface GraphContractOptions {
  reopen?: (closed: GraphStore) => Promise<GraphStore>;
}

const run = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
let counter = 0;
/** A tenant no other test (or run) uses. */
const freshTenant = (name: string): TenantScope => systemScope(`contract-${name}-${run}-${++counter}`, 'graph contract test');

const node = (id: string, label: string, props: GraphNode['props'] = {}): GraphNode => ({ id, label, props });
const edge = (from: string, type: string, to: string, props: GraphEdge['props'] = {}): GraphEdge => ({ from, to, type, props });
const ids = (nodes: readonly GraphNode[] | null): string[] | null => (nodes ? nodes.map((n) => n.id) : null);
const keys = (edges: readonly GraphEdge[]): string[] => edges.map((e) => `${e.from}-${e.type}->${e.to}`);

const expectDomainError = async (promise: Promise<unknown>, code: string): Promise<void> => {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe(code);
};

export const graphStoreContract = (name: string, makeStore: () => Promise<GraphStore>, options: GraphContractOptions = {}): void => {
  describe(`GraphStore contract: ${name}`, () => {
    let store: GraphStore;
    let scope: TenantScope;

    beforeAll(async () => {
      store = await makeStore();
    });
    afterAll(async () => {
      await store?.close();
    });
    beforeEach(() => {
      scope = freshTenant(name);
    });

    describe('nodes', () => {
      it('returns null for a node that does not exist', async () => {
        expect(await store.getNode(scope, 'nope')).toBeNull();
      });

      it('stores a node and reads it back with every kind of prop value', async () => {
        await store.mergeNode(scope, node('p1', 'Person', { name: 'Ada', age: 36, score: 0.25, active: true, manager: null }));
        expect(await store.getNode(scope, 'p1')).toEqual(node('p1', 'Person', { name: 'Ada', age: 36, score: 0.25, active: true, manager: null }));
      });

      it('merges props key by key and replaces the label', async () => {
        await store.mergeNode(scope, node('p1', 'Person', { name: 'Ada', age: 36, team: 'core' }));
        await store.mergeNode(scope, node('p1', 'Lead', { age: 37, team: null, skill: 'graphs' }));
        expect(await store.getNode(scope, 'p1')).toEqual(node('p1', 'Lead', { name: 'Ada', age: 37, team: null, skill: 'graphs' }));
        await store.mergeNode(scope, node('p1', 'Lead', { team: 'platform' }));
        expect((await store.getNode(scope, 'p1'))?.props).toEqual({ name: 'Ada', age: 37, team: 'platform', skill: 'graphs' });
      });

      it('keeps every prop of concurrent merges of the same node', async () => {
        await Promise.all(['a', 'b', 'c', 'd', 'e'].map((k) => store.mergeNode(scope, node('n', 'Thing', { [k]: k }))));
        expect((await store.getNode(scope, 'n'))?.props).toEqual({ a: 'a', b: 'b', c: 'c', d: 'd', e: 'e' });
        expect(await store.nodes(scope, 'Thing')).toHaveLength(1);
      });

      it('lists nodes of one label, ordered by id', async () => {
        await store.mergeNode(scope, node('t2', 'Team'));
        await store.mergeNode(scope, node('p1', 'Person'));
        await store.mergeNode(scope, node('t1', 'Team', { size: 3 }));
        expect(await store.nodes(scope, 'Team')).toEqual([node('t1', 'Team', { size: 3 }), node('t2', 'Team')]);
        expect(await store.nodes(scope, 'Skill')).toEqual([]);
      });

      it('removes a node together with its edges; removing a missing node is a no-op', async () => {
        await store.mergeNode(scope, node('a', 'X'));
        await store.mergeNode(scope, node('b', 'X'));
        await store.mergeEdge(scope, edge('a', 'LINKS', 'b'));
        await store.removeNode(scope, 'a');
        await store.removeNode(scope, 'never-existed');
        expect(await store.getNode(scope, 'a')).toBeNull();
        expect(await store.edges(scope, 'b')).toEqual([]);
        expect(ids((await store.subgraph(scope, {})).nodes)).toEqual(['b']);
      });

      it('returns copies: mutating a result does not change the store', async () => {
        await store.mergeNode(scope, node('a', 'X', { v: 1 }));
        const got = await store.getNode(scope, 'a');
        if (got) got.props.v = 2;
        expect((await store.getNode(scope, 'a'))?.props).toEqual({ v: 1 });
      });

      it('rejects malformed input', async () => {
        await expectDomainError(store.mergeNode(scope, node('', 'X')), 'INTERNAL_SERVER_ERROR');
        await expectDomainError(store.mergeNode(scope, node('a', '')), 'INTERNAL_SERVER_ERROR');
        const nested = { id: 'a', label: 'X', props: { deep: { no: true } } } as unknown as GraphNode;
        await expectDomainError(store.mergeNode(scope, nested), 'INTERNAL_SERVER_ERROR');
        await expectDomainError(store.mergeNode(scope, node('a', 'X', { n: Number.NaN })), 'INTERNAL_SERVER_ERROR');
        await expectDomainError(store.mergeNode(scope, node('a', 'X', JSON.parse('{"__proto__":"x"}') as GraphNode['props'])), 'INTERNAL_SERVER_ERROR');
        expect(await store.getNode(scope, 'a')).toBeNull();
      });
    });

    describe('edges', () => {
      beforeEach(async () => {
        for (const id of ['a', 'b', 'c']) await store.mergeNode(scope, node(id, 'Person'));
      });

      it('merges one edge per (from, type, to), merging its props', async () => {
        await store.mergeEdge(scope, edge('a', 'KNOWS', 'b', { since: 2020, strength: 0.5 }));
        await store.mergeEdge(scope, edge('a', 'KNOWS', 'b', { strength: 0.9, note: null }));
        await store.mergeEdge(scope, edge('a', 'MENTORS', 'b'));
        await store.mergeEdge(scope, edge('b', 'KNOWS', 'a'));
        const out = await store.edges(scope, 'a', { direction: 'out' });
        expect(out).toEqual([edge('a', 'KNOWS', 'b', { since: 2020, strength: 0.9, note: null }), edge('a', 'MENTORS', 'b')]);
      });

      it('refuses an edge to a node that does not exist', async () => {
        await expectDomainError(store.mergeEdge(scope, edge('a', 'KNOWS', 'ghost')), 'NOT_FOUND');
        await expectDomainError(store.mergeEdge(scope, edge('ghost', 'KNOWS', 'a')), 'NOT_FOUND');
        expect(await store.edges(scope, 'a')).toEqual([]);
      });

      it('lists edges by direction and type', async () => {
        await store.mergeEdge(scope, edge('a', 'KNOWS', 'b'));
        await store.mergeEdge(scope, edge('c', 'KNOWS', 'a'));
        await store.mergeEdge(scope, edge('a', 'REPORTS_TO', 'c'));
        expect(keys(await store.edges(scope, 'a', { direction: 'out' }))).toEqual(['a-KNOWS->b', 'a-REPORTS_TO->c']);
        expect(keys(await store.edges(scope, 'a', { direction: 'in' }))).toEqual(['c-KNOWS->a']);
        expect(keys(await store.edges(scope, 'a'))).toEqual(['a-KNOWS->b', 'a-REPORTS_TO->c', 'c-KNOWS->a']);
        expect(keys(await store.edges(scope, 'a', { direction: 'both', type: 'KNOWS' }))).toEqual(['a-KNOWS->b', 'c-KNOWS->a']);
        expect(keys(await store.edges(scope, 'a', { direction: 'out', type: 'KNOWS' }))).toEqual(['a-KNOWS->b']);
        expect(keys(await store.edges(scope, 'b', { direction: 'out' }))).toEqual([]);
        expect(await store.edges(scope, 'missing')).toEqual([]);
      });

      it('lists a self-loop once in every direction', async () => {
        await store.mergeEdge(scope, edge('a', 'SELF', 'a'));
        for (const direction of ['out', 'in', 'both'] as const) {
          expect(keys(await store.edges(scope, 'a', { direction }))).toEqual(['a-SELF->a']);
        }
      });
    });

    describe('subgraph', () => {
      beforeEach(async () => {
        await store.mergeNode(scope, node('p1', 'Person'));
        await store.mergeNode(scope, node('p2', 'Person'));
        await store.mergeNode(scope, node('t1', 'Team'));
        await store.mergeNode(scope, node('s1', 'Skill'));
        await store.mergeEdge(scope, edge('p1', 'KNOWS', 'p2', { w: 1 }));
        await store.mergeEdge(scope, edge('p1', 'MEMBER_OF', 't1'));
        await store.mergeEdge(scope, edge('p2', 'MEMBER_OF', 't1'));
        await store.mergeEdge(scope, edge('p2', 'HAS_SKILL', 's1'));
      });

      it('returns the whole tenant graph without filters', async () => {
        const all = await store.subgraph(scope, {});
        expect(ids(all.nodes)).toEqual(['p1', 'p2', 's1', 't1']);
        expect(keys(all.edges)).toEqual(['p1-KNOWS->p2', 'p1-MEMBER_OF->t1', 'p2-HAS_SKILL->s1', 'p2-MEMBER_OF->t1']);
        expect(all.edges[0]).toEqual(edge('p1', 'KNOWS', 'p2', { w: 1 }));
        expect(await store.subgraph(scope, { labels: [], edgeTypes: [] })).toEqual(all);
      });

      it('filters nodes by label and keeps only edges among them', async () => {
        const people = await store.subgraph(scope, { labels: ['Person'] });
        expect(ids(people.nodes)).toEqual(['p1', 'p2']);
        expect(keys(people.edges)).toEqual(['p1-KNOWS->p2']);
        const teams = await store.subgraph(scope, { labels: ['Person', 'Team'] });
        expect(keys(teams.edges)).toEqual(['p1-KNOWS->p2', 'p1-MEMBER_OF->t1', 'p2-MEMBER_OF->t1']);
      });

      it('filters edges by type', async () => {
        const members = await store.subgraph(scope, { edgeTypes: ['MEMBER_OF', 'HAS_SKILL'] });
        expect(ids(members.nodes)).toEqual(['p1', 'p2', 's1', 't1']);
        expect(keys(members.edges)).toEqual(['p1-MEMBER_OF->t1', 'p2-HAS_SKILL->s1', 'p2-MEMBER_OF->t1']);
        const both = await store.subgraph(scope, { labels: ['Person', 'Skill'], edgeTypes: ['HAS_SKILL'] });
        expect(keys(both.edges)).toEqual(['p2-HAS_SKILL->s1']);
      });
    });

    describe('shortestPath', () => {
      // a → b → c → d → e, plus a shortcut a → x ← d (x is reached against edge direction).
      beforeEach(async () => {
        for (const id of ['a', 'b', 'c', 'd', 'e', 'x', 'lonely']) await store.mergeNode(scope, node(id, 'N', { name: id.toUpperCase() }));
        for (const [f, t] of [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['a', 'x'], ['d', 'x']]) await store.mergeEdge(scope, edge(f, 'NEXT', t));
      });

      it('finds the shortest path, ignoring edge direction, with full nodes', async () => {
        const path = await store.shortestPath(scope, 'a', 'e');
        expect(ids(path)).toEqual(['a', 'x', 'd', 'e']);
        expect(path?.[1]).toEqual(node('x', 'N', { name: 'X' }));
        expect(ids(await store.shortestPath(scope, 'e', 'a'))).toEqual(['e', 'd', 'x', 'a']);
        expect(ids(await store.shortestPath(scope, 'b', 'c'))).toEqual(['b', 'c']);
      });

      it('respects maxHops', async () => {
        expect(await store.shortestPath(scope, 'a', 'e', 2)).toBeNull();
        expect(ids(await store.shortestPath(scope, 'a', 'e', 3))).toEqual(['a', 'x', 'd', 'e']);
      });

      it('defaults maxHops to 6', async () => {
        const chain = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7'];
        for (const id of chain) await store.mergeNode(scope, node(id, 'K'));
        for (let i = 1; i < chain.length; i++) await store.mergeEdge(scope, edge(chain[i - 1], 'NEXT', chain[i]));
        expect(ids(await store.shortestPath(scope, 'k0', 'k6'))).toEqual(chain.slice(0, 7));
        expect(await store.shortestPath(scope, 'k0', 'k7')).toBeNull();
        expect(ids(await store.shortestPath(scope, 'k0', 'k7', 7))).toEqual(chain);
      });

      it('returns the node itself for from = to, and null when there is no path or no node', async () => {
        expect(ids(await store.shortestPath(scope, 'c', 'c'))).toEqual(['c']);
        expect(await store.shortestPath(scope, 'a', 'lonely')).toBeNull();
        expect(await store.shortestPath(scope, 'a', 'missing')).toBeNull();
        expect(await store.shortestPath(scope, 'missing', 'missing')).toBeNull();
      });

      it('rejects an invalid maxHops', async () => {
        await expectDomainError(store.shortestPath(scope, 'a', 'e', -1), 'INTERNAL_SERVER_ERROR');
        await expectDomainError(store.shortestPath(scope, 'a', 'e', 1.5), 'INTERNAL_SERVER_ERROR');
        await expectDomainError(store.shortestPath(scope, 'a', 'e', 1000), 'INTERNAL_SERVER_ERROR');
      });
    });

    describe('tenant isolation', () => {
      it("never shows tenant A's nodes or edges to tenant B, by any method", async () => {
        const a = scope;
        const b = freshTenant(name);
        await store.mergeNode(a, node('n1', 'Person', { secret: 'A' }));
        await store.mergeNode(a, node('n2', 'Person'));
        await store.mergeEdge(a, edge('n1', 'KNOWS', 'n2'));

        expect(await store.getNode(b, 'n1')).toBeNull();
        expect(await store.nodes(b, 'Person')).toEqual([]);
        expect(await store.edges(b, 'n1')).toEqual([]);
        expect(await store.edges(b, 'n2', { direction: 'in' })).toEqual([]);
        expect(await store.subgraph(b, {})).toEqual({ nodes: [], edges: [] });
        expect(await store.subgraph(b, { labels: ['Person'], edgeTypes: ['KNOWS'] })).toEqual({ nodes: [], edges: [] });
        expect(await store.shortestPath(b, 'n1', 'n2')).toBeNull();
        expect(await store.shortestPath(b, 'n1', 'n1')).toBeNull();
        // B cannot attach an edge to A's nodes.
        await expectDomainError(store.mergeEdge(b, edge('n1', 'KNOWS', 'n2')), 'NOT_FOUND');

        // The same ids in B are B's own nodes: writing and removing them leaves A untouched.
        await store.mergeNode(b, node('n1', 'Person', { secret: 'B' }));
        await store.mergeNode(b, node('n3', 'Person'));
        await store.mergeEdge(b, edge('n1', 'KNOWS', 'n3'));
        expect(await store.getNode(b, 'n1')).toEqual(node('n1', 'Person', { secret: 'B' }));
        expect(await store.shortestPath(b, 'n1', 'n2')).toBeNull();
        await store.removeNode(b, 'n1');
        await store.removeNode(b, 'n2');

        expect(await store.getNode(a, 'n1')).toEqual(node('n1', 'Person', { secret: 'A' }));
        expect(ids(await store.nodes(a, 'Person'))).toEqual(['n1', 'n2']);
        expect(keys(await store.edges(a, 'n1'))).toEqual(['n1-KNOWS->n2']);
        expect(ids(await store.shortestPath(a, 'n1', 'n2'))).toEqual(['n1', 'n2']);
        expect(ids(await store.shortestPath(a, 'n1', 'n3'))).toBeNull();
        expect(ids(await store.nodes(b, 'Person'))).toEqual(['n3']);
      });
    });

    describe('lifecycle', () => {
      it('reports health', async () => {
        const health = await store.health();
        expect(health.ok).toBe(true);
        expect(health.detail).toContain(store.engine);
      });

      it('keeps every node, edge and prop across close and reopen', async () => {
        const first = await makeStore();
        await first.mergeNode(scope, node('a', 'Person', { name: 'Ada', age: 36, active: false, team: null }));
        await first.mergeNode(scope, node('b', 'Team'));
        await first.mergeEdge(scope, edge('a', 'MEMBER_OF', 'b', { since: 2021 }));
        await first.close();
        expect((await first.health()).ok).toBe(false);

        const second = await (options.reopen ?? makeStore)(first);
        try {
          expect(await second.getNode(scope, 'a')).toEqual(node('a', 'Person', { name: 'Ada', age: 36, active: false, team: null }));
          expect(await second.edges(scope, 'b', { direction: 'in' })).toEqual([edge('a', 'MEMBER_OF', 'b', { since: 2021 })]);
          expect(ids(await second.shortestPath(scope, 'a', 'b'))).toEqual(['a', 'b']);
        } finally {
          await second.close();
        }
      });
    });
  });
};

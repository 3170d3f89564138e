import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { systemScope } from '../context.ts';
import { DomainError } from '../errors.ts';
import { graphStoreContract } from './contract.ts';
import { createEmbeddedGraph, tenantFileName } from './embedded.ts';
import type { GraphStore } from './port.ts';

const dirs: string[] = [];
const dirOf = new Map<GraphStore, string>();
const newDir = async (): Promise<string> => {
  const dir = await mkdtemp(path.join(tmpdir(), 'mesh-graph-'));
  dirs.push(dir);
  return dir;
};

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

graphStoreContract(
  'embedded',
  async () => {
    const dataDir = await newDir();
    const store = await createEmbeddedGraph({ dataDir });
    dirOf.set(store, dataDir);
    return store;
  },
  {
    reopen: async (closed) => {
      const dataDir = dirOf.get(closed);
      if (!dataDir) throw new Error('unknown store');
      return createEmbeddedGraph({ dataDir });
    },
  },
);

describe('embedded graph: persistence', () => {
  const acme = systemScope('acme', 'test');
  const globex = systemScope('globex', 'test');

  it('writes one atomic JSON snapshot per tenant after the debounce, leaving no temp files', async () => {
    const dataDir = await newDir();
    const store = await createEmbeddedGraph({ dataDir, flushMs: 5 });
    try {
      await store.mergeNode(acme, { id: 'a', label: 'Person', props: { name: 'Ada' } });
      await store.mergeNode(globex, { id: 'g', label: 'Person', props: {} });
      const graphDir = path.join(dataDir, 'graph');
      // Waits for the debounced save to land (no time threshold asserted: it polls until it does).
      while ((await readdir(graphDir)).filter((f) => f.endsWith('.json')).length < 2) await new Promise((r) => setTimeout(r, 5));
      await store.flush();
      expect((await readdir(graphDir)).sort()).toEqual(['acme.json', 'globex.json']);
      const snapshot = JSON.parse(await readFile(path.join(graphDir, 'acme.json'), 'utf8')) as Record<string, unknown>;
      expect(snapshot).toEqual({
        format: 'mesh-graph',
        version: 1,
        tenantId: 'acme',
        nodes: [{ id: 'a', label: 'Person', props: { name: 'Ada' } }],
        edges: [],
      });
    } finally {
      await store.close();
    }
  });

  it('saves pending writes on close, even with a long debounce', async () => {
    const dataDir = await newDir();
    const store = await createEmbeddedGraph({ dataDir, flushMs: 60_000 });
    await store.mergeNode(acme, { id: 'a', label: 'Person', props: { n: 1 } });
    await store.close();
    const reopened = await createEmbeddedGraph({ dataDir });
    try {
      expect(await reopened.getNode(acme, 'a')).toEqual({ id: 'a', label: 'Person', props: { n: 1 } });
    } finally {
      await reopened.close();
    }
  });

  it('refuses a corrupt snapshot with a clear error and does not overwrite it', async () => {
    const dataDir = await newDir();
    const file = path.join(dataDir, 'graph', 'acme.json');
    const store = await createEmbeddedGraph({ dataDir });
    try {
      await writeFile(file, '{"format":"mesh-graph","version":1,"tenantId":"acme","nodes":[{"id":"a"');
      const error = await store.getNode(acme, 'a').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe('ENGINE_UNAVAILABLE');
      expect((error as DomainError).message).toContain('acme.json');
      // Other tenants are unaffected.
      await store.mergeNode(globex, { id: 'g', label: 'Person', props: {} });
      expect(await store.getNode(globex, 'g')).not.toBeNull();
    } finally {
      await store.close();
    }
    expect(await readFile(file, 'utf8')).toContain('"nodes":[{"id":"a"');
  });

  it("refuses a snapshot that names another tenant (a file copied under the wrong name)", async () => {
    const dataDir = await newDir();
    const first = await createEmbeddedGraph({ dataDir });
    await first.mergeNode(acme, { id: 'a', label: 'Person', props: {} });
    await first.close();
    const graphDir = path.join(dataDir, 'graph');
    await writeFile(path.join(graphDir, 'globex.json'), await readFile(path.join(graphDir, 'acme.json')));
    const second = await createEmbeddedGraph({ dataDir });
    try {
      await expect(second.getNode(globex, 'a')).rejects.toThrow('different tenant');
    } finally {
      await second.close();
    }
  });

  it('refuses a second open store on the same directory in one process, and a closed store refuses calls', async () => {
    const dataDir = await newDir();
    const store = await createEmbeddedGraph({ dataDir });
    await expect(createEmbeddedGraph({ dataDir })).rejects.toThrow('already open');
    await store.close();
    await expect(store.getNode(acme, 'a')).rejects.toThrow('closed');
    const again = await createEmbeddedGraph({ dataDir });
    await again.close();
  });
});

describe('tenantFileName', () => {
  it('keeps plain ids readable', () => {
    expect(tenantFileName('01HZX3K9QYV8T1B0N4M5R6S7T8')).toBe('01HZX3K9QYV8T1B0N4M5R6S7T8.json');
    expect(tenantFileName('platform')).toBe('platform.json');
  });

  it('escapes everything else so that distinct ids never share a file', () => {
    const tricky = ['a/b', 'a_2fb', '../etc', '..', 'a b', 'a_b', 'é', '_c3_a9', 'x'.repeat(300), `${'x'.repeat(300)}y`];
    const names = tricky.map(tenantFileName);
    expect(new Set(names).size).toBe(tricky.length);
    for (const n of names) {
      expect(n).toMatch(/^[A-Za-z0-9_~-]+\.json$/);
      expect(n.length).toBeLessThanOrEqual(206);
    }
  });
});

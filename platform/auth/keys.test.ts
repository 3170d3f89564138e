import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadOrCreateKeyring } from './keys.ts';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
const freshDir = async (): Promise<string> => {
  const dir = await mkdtemp(path.join(tmpdir(), 'mesh-keys-'));
  dirs.push(dir);
  return dir;
};

describe('keyring', () => {
  it('many starts at once on an empty key directory agree on one token key and one provenance key', async () => {
    const dir = await freshDir();
    const rings = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateKeyring(dir)));
    expect(new Set(rings.map((r) => r.token.kid)).size).toBe(1);
    expect(new Set(rings.map((r) => r.provenance.kid)).size).toBe(1);
    // No temp files are left behind.
    expect((await readdir(path.join(dir, 'keys'))).sort()).toEqual(['provenance-ed25519.jwk.json', 'token-rs256.jwk.json']);
  });

  it('separate processes starting at once (services mode) agree on the same keys', async () => {
    const dir = await freshDir();
    const keysModule = path.join(path.dirname(fileURLToPath(import.meta.url)), 'keys.ts');
    const script = `const { loadOrCreateKeyring } = await import(${JSON.stringify(keysModule)}); const k = await loadOrCreateKeyring(${JSON.stringify(dir)}); console.log(k.token.kid + ' ' + k.provenance.kid);`;
    const outputs = await Promise.all(
      Array.from({ length: 4 }, () =>
        new Promise<string>((resolve, reject) => {
          const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          let err = '';
          child.stdout.on('data', (c: Buffer) => (out += c.toString()));
          child.stderr.on('data', (c: Buffer) => (err += c.toString()));
          child.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`exit ${code}: ${err}`))));
        }),
      ),
    );
    expect(new Set(outputs).size).toBe(1);
    expect(outputs[0]).toMatch(/^\S+ \S+$/);
  });
});

import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';

/** One signing key: the private half for signing, the public JWK for the JWKS. */
export interface SigningKey {
  kid: string;
  alg: 'RS256' | 'EdDSA';
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/** The keys of one deployment: RS256 for access tokens, Ed25519 for provenance signatures. */
export interface Keyring {
  token: SigningKey;
  provenance: SigningKey;
  /** The public JWKS served at /.well-known/jwks.json: both keys, each with `kid`, `alg` and `use`. */
  jwks: { keys: JWK[] };
}

const loadOrCreate = async (file: string, alg: 'RS256' | 'EdDSA'): Promise<SigningKey> => {
  let privateJwk: JWK;
  try {
    privateJwk = JSON.parse(await readFile(file, 'utf8')) as JWK;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const pair = alg === 'RS256' ? await generateKeyPair('RS256', { modulusLength: 2048, extractable: true }) : await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    privateJwk = await exportJWK(pair.privateKey);
    privateJwk.kid = await calculateJwkThumbprint(privateJwk);
    privateJwk.alg = alg;
    // Several processes may start at once on one key directory (services mode): write a private temp
    // file, then hard-link it into place, so the key file appears complete or not at all.
    const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temp, JSON.stringify(privateJwk), { mode: 0o600, flag: 'wx' });
    try {
      await link(temp, file);
    } catch (linkError) {
      // Another process created it first: use theirs.
      if ((linkError as NodeJS.ErrnoException).code !== 'EEXIST') throw linkError;
      privateJwk = JSON.parse(await readFile(file, 'utf8')) as JWK;
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }
  const privateKey = (await importJWK(privateJwk, alg, { extractable: true })) as CryptoKey;
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = privateJwk;
  const kid = privateJwk.kid ?? (await calculateJwkThumbprint(publicJwk));
  return { kid, alg, privateKey, publicJwk: { ...publicJwk, kid, alg, use: 'sig' } };
};

/** Loads the keyring from `<dataDir>/keys`, creating keys on first start (files mode 0600). */
export const loadOrCreateKeyring = async (dataDir: string): Promise<Keyring> => {
  const dir = path.join(dataDir, 'keys');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const token = await loadOrCreate(path.join(dir, 'token-rs256.jwk.json'), 'RS256');
  const provenance = await loadOrCreate(path.join(dir, 'provenance-ed25519.jwk.json'), 'EdDSA');
  return { token, provenance, jwks: { keys: [token.publicJwk, provenance.publicJwk] } };
};

import { KeyObject, sign as edSign } from 'node:crypto';
import { canonicalJson, digestOf } from './canonical.ts';
import type { SigningKey } from '../auth/keys.ts';

/** How a value came to be. */
export type ProvenanceMethod = 'HUMAN' | 'RULE' | 'STATISTICAL' | 'LLM' | 'IMPORT' | 'SYSTEM';

/** The stored provenance record. `signature` is not stored: it is computed on demand. */
export interface ProvenanceRecord {
  subgraph: string;
  engine: string;
  method: ProvenanceMethod;
  model: string | null;
  modelVersion: string | null;
  computedAt: string;
  confidence: number | null;
  inputsDigest: string;
  explanation: string;
  correlationId: string;
}

export interface ProvenanceInput {
  method: ProvenanceMethod;
  /** The canonical inputs; only their SHA-256 is kept. */
  inputs: unknown;
  explanation: string;
  confidence?: number | null;
  model?: string | null;
  modelVersion?: string | null;
  computedAt?: Date;
}

/** Builds provenance records for one subgraph running on one engine. */
export interface ProvenanceFactory {
  build(input: ProvenanceInput, correlationId: string): ProvenanceRecord;
}

export const createProvenanceFactory = (subgraph: string, engine: string): ProvenanceFactory => ({
  build(input, correlationId) {
    if (input.confidence !== undefined && input.confidence !== null && !(input.confidence >= 0 && input.confidence <= 1)) {
      throw new RangeError(`confidence must be within 0..1, got ${input.confidence}`);
    }
    return {
      subgraph,
      engine,
      method: input.method,
      model: input.model ?? null,
      modelVersion: input.modelVersion ?? null,
      computedAt: (input.computedAt ?? new Date()).toISOString(),
      confidence: input.confidence ?? null,
      inputsDigest: digestOf(input.inputs),
      explanation: input.explanation,
      correlationId,
    };
  },
});

/**
 * Signs provenance records lazily: a compact JWS (EdDSA / Ed25519) whose payload is the canonical
 * record. Checkable against the JWKS. Cached by the record's digest, so a list of 200 objects with the
 * same record costs one signature, and a repeated read costs none.
 */
export interface ProvenanceSigner {
  sign(record: ProvenanceRecord): string;
  readonly kid: string;
}

const b64url = (input: string | Buffer): string => Buffer.from(input).toString('base64url');

export const createProvenanceSigner = (key: SigningKey, cacheSize = 20_000): ProvenanceSigner => {
  const keyObject = KeyObject.from(key.privateKey);
  const header = b64url(JSON.stringify({ alg: 'EdDSA', kid: key.kid, typ: 'provenance+jws' }));
  const cache = new Map<string, string>();
  return {
    kid: key.kid,
    sign(record) {
      const payloadJson = canonicalJson(record);
      const cacheKey = digestOf(payloadJson);
      const hit = cache.get(cacheKey);
      if (hit) return hit;
      const signingInput = `${header}.${b64url(payloadJson)}`;
      const signature = edSign(null, Buffer.from(signingInput), keyObject).toString('base64url');
      const jws = `${signingInput}.${signature}`;
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string);
      cache.set(cacheKey, jws);
      return jws;
    },
  };
};

import { createPublicKey, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';
import { canonicalJson, digestOf } from '../../../platform/provenance/canonical.ts';

/** The prevHash of the first record of a tenant's chain. */
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditChange {
  collection: string;
  id: string;
  op: 'insert' | 'update' | 'delete';
  beforeDigest: string | null;
  afterDigest: string | null;
}

/** Exactly what a record's hash commits to. */
export interface AuditEntry {
  seq: number;
  prevHash: string;
  eventId: string;
  action: string;
  actor: { id: string; kind: string };
  occurredAt: string;
  correlationId: string;
  changes: AuditChange[];
}

export interface ChainedRecord extends AuditEntry {
  hash: string;
}

/** hash = SHA-256(canonicalJson({seq, prevHash, eventId, action, actor, occurredAt, correlationId, changes})). */
export const hashEntry = (entry: AuditEntry): string =>
  digestOf({
    seq: entry.seq,
    prevHash: entry.prevHash,
    eventId: entry.eventId,
    action: entry.action,
    actor: { id: entry.actor.id, kind: entry.actor.kind },
    occurredAt: entry.occurredAt,
    correlationId: entry.correlationId,
    changes: entry.changes.map((c) => ({ collection: c.collection, id: c.id, op: c.op, beforeDigest: c.beforeDigest ?? null, afterDigest: c.afterDigest ?? null })),
  });

/** The next record after `head` (null: the chain is empty). */
export const nextEntry = (head: { seq: number; hash: string } | null, body: Omit<AuditEntry, 'seq' | 'prevHash'>): ChainedRecord => {
  const entry: AuditEntry = { ...body, seq: head ? head.seq + 1 : 1, prevHash: head ? head.hash : GENESIS_HASH };
  return { ...entry, hash: hashEntry(entry) };
};

export interface ChainCheck {
  valid: boolean;
  checkedCount: number;
  firstBrokenSeq: number | null;
  reason: string | null;
}

/**
 * Checks records `from..to` (sorted by seq): no gaps, each prevHash is the previous hash
 * (`prevHashBefore` for the first when from > 1), each stored hash equals the recomputed one, and
 * each checkpoint in range signs the hash the chain has at its seq. Stops at the first broken record
 * and names the edited one: a record rewritten with a recomputed hash is named through the next
 * record's link (that record still commits to the old hash); a rewritten head through its checkpoint.
 */
export const verifyChain = (
  records: readonly ChainedRecord[],
  range: { from: number; to: number; prevHashBefore: string | null },
  checkpoints: ReadonlyArray<{ seq: number; hash: string; signatureValid: boolean }> = [],
): ChainCheck => {
  const broken = (seq: number, reason: string, checked: number): ChainCheck => ({ valid: false, checkedCount: checked, firstBrokenSeq: seq, reason });
  const bySeq = new Map(checkpoints.map((c) => [c.seq, c]));
  let expectedPrev = range.from === 1 ? GENESIS_HASH : range.prevHashBefore;
  let checked = 0;
  let expectedSeq = range.from;
  for (const record of records) {
    if (record.seq !== expectedSeq) return broken(expectedSeq, `record ${expectedSeq} is missing`, checked);
    if (expectedPrev === null) return broken(record.seq, `record ${record.seq - 1} (the link before the range) is missing`, checked);
    if (record.prevHash !== expectedPrev) {
      // A self-consistent record whose prevHash no longer matches: the record before it was rewritten
      // together with its own hash (the edit the hash alone cannot show). Otherwise this record was edited.
      if (hashEntry(record) === record.hash) return broken(record.seq - 1, `record ${record.seq - 1} was rewritten: record ${record.seq} commits to a different hash of it`, Math.max(0, checked - 1));
      return broken(record.seq, `record ${record.seq} was altered: its content no longer matches its hash`, checked);
    }
    if (hashEntry(record) !== record.hash) return broken(record.seq, `record ${record.seq} was altered: its content no longer matches its hash`, checked);
    const checkpoint = bySeq.get(record.seq);
    if (checkpoint && !checkpoint.signatureValid) return broken(record.seq, `the checkpoint at ${record.seq} has an invalid signature`, checked);
    if (checkpoint && checkpoint.hash !== record.hash) return broken(record.seq, `record ${record.seq} does not match the signed checkpoint at ${record.seq}`, checked);
    checked += 1;
    expectedPrev = record.hash;
    expectedSeq += 1;
  }
  if (expectedSeq <= range.to) return broken(expectedSeq, `record ${expectedSeq} is missing`, checked);
  return { valid: true, checkedCount: checked, firstBrokenSeq: null, reason: null };
};

export interface CheckpointClaims {
  tenantId: string;
  seq: number;
  hash: string;
}

const b64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

/** Compact JWS (EdDSA) over the canonical {tenantId, seq, hash}. Ed25519 signatures are deterministic. */
export const signCheckpoint = (claims: CheckpointClaims, key: KeyObject, kid: string): string => {
  const header = b64url(JSON.stringify({ alg: 'EdDSA', kid, typ: 'audit-checkpoint+jws' }));
  const input = `${header}.${b64url(canonicalJson({ tenantId: claims.tenantId, seq: claims.seq, hash: claims.hash }))}`;
  return `${input}.${edSign(null, Buffer.from(input), key).toString('base64url')}`;
};

/** Checks a checkpoint JWS against an Ed25519 public JWK; returns its claims, or null if the signature fails. */
export const readCheckpoint = (jws: string, publicJwk: { kty?: string; crv?: string; x?: string }): CheckpointClaims | null => {
  const parts = jws.split('.');
  if (parts.length !== 3) return null;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as { alg?: string };
    if (header.alg !== 'EdDSA') return null;
    const key = createPublicKey({ key: { kty: 'OKP', crv: publicJwk.crv ?? 'Ed25519', x: publicJwk.x ?? '' }, format: 'jwk' });
    if (!edVerify(null, Buffer.from(`${parts[0]}.${parts[1]}`), key, Buffer.from(parts[2], 'base64url'))) return null;
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as CheckpointClaims;
    return typeof claims.seq === 'number' && typeof claims.hash === 'string' && typeof claims.tenantId === 'string' ? claims : null;
  } catch {
    return null;
  }
};

/** What an auditor needs to check one record: the record, every record after it up to a checkpoint, the checkpoint. */
export interface InclusionProof {
  record: ChainedRecord;
  path: ChainedRecord[];
  checkpointJws: string;
}

/**
 * Verifies an inclusion proof offline: the checkpoint signature, then each link from the record to
 * the checkpoint (recomputing every hash), and that the last hash is the one the checkpoint signed.
 */
export const verifyInclusionProof = (proof: InclusionProof, publicJwk: { kty?: string; crv?: string; x?: string }, tenantId: string): { valid: boolean; reason: string | null } => {
  const claims = readCheckpoint(proof.checkpointJws, publicJwk);
  if (!claims) return { valid: false, reason: 'checkpoint signature does not verify' };
  if (claims.tenantId !== tenantId) return { valid: false, reason: 'checkpoint belongs to another organization' };
  let previous = proof.record;
  if (hashEntry(previous) !== previous.hash) return { valid: false, reason: `record ${previous.seq} does not match its hash` };
  for (const next of proof.path) {
    if (next.seq !== previous.seq + 1 || next.prevHash !== previous.hash) return { valid: false, reason: `link ${previous.seq} → ${next.seq} is broken` };
    if (hashEntry(next) !== next.hash) return { valid: false, reason: `record ${next.seq} does not match its hash` };
    previous = next;
  }
  if (previous.seq !== claims.seq || previous.hash !== claims.hash) return { valid: false, reason: 'the path does not end at the checkpointed head' };
  return { valid: true, reason: null };
};

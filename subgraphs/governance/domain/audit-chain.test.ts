import { createHash, generateKeyPairSync } from 'node:crypto';
import { GENESIS_HASH, hashEntry, nextEntry, readCheckpoint, signCheckpoint, verifyChain, verifyInclusionProof, type ChainedRecord } from './audit-chain.ts';

const body = (n: number) => ({ eventId: `e${n}`, action: `a${n}`, actor: { id: 'u1', kind: 'user' }, occurredAt: '2026-01-01T00:00:00.000Z', correlationId: `c${n}`, changes: [] });
const chain = (length: number): ChainedRecord[] => {
  const records: ChainedRecord[] = [];
  for (let i = 1; i <= length; i += 1) records.push(nextEntry(records[records.length - 1] ?? null, body(i)));
  return records;
};

describe('audit chain', () => {
  it('hashes the canonical JSON of the entry (keys sorted)', () => {
    const first = nextEntry(null, body(1));
    const canonical = `{"action":"a1","actor":{"id":"u1","kind":"user"},"changes":[],"correlationId":"c1","eventId":"e1","occurredAt":"2026-01-01T00:00:00.000Z","prevHash":"${'0'.repeat(64)}","seq":1}`;
    expect(first.seq).toBe(1);
    expect(first.prevHash).toBe(GENESIS_HASH);
    expect(first.hash).toBe(createHash('sha256').update(canonical).digest('hex'));
    const second = nextEntry(first, body(2));
    expect(second.seq).toBe(2);
    expect(second.prevHash).toBe(first.hash);
  });

  it('accepts an intact chain and names the first altered, missing or unlinked record', () => {
    const records = chain(4);
    expect(verifyChain(records, { from: 1, to: 4, prevHashBefore: null })).toEqual({ valid: true, checkedCount: 4, firstBrokenSeq: null, reason: null });
    const altered = records.map((r) => (r.seq === 2 ? { ...r, action: 'tampered' } : r));
    expect(verifyChain(altered, { from: 1, to: 4, prevHashBefore: null })).toEqual({ valid: false, checkedCount: 1, firstBrokenSeq: 2, reason: 'record 2 was altered: its content no longer matches its hash' });
    expect(verifyChain(records.filter((r) => r.seq !== 3), { from: 1, to: 4, prevHashBefore: null }).firstBrokenSeq).toBe(3);
    expect(verifyChain(records.slice(0, 3), { from: 1, to: 4, prevHashBefore: null }).reason).toBe('record 4 is missing');
    // A rewritten record with a recomputed hash: the next record still commits to its old hash, so the rewritten one is named.
    const rewritten = { ...records[1], action: 'tampered' };
    const relinked = [records[0], { ...rewritten, hash: hashEntry(rewritten) }, records[2], records[3]];
    expect(verifyChain(relinked, { from: 1, to: 4, prevHashBefore: null })).toEqual({ valid: false, checkedCount: 1, firstBrokenSeq: 2, reason: 'record 2 was rewritten: record 3 commits to a different hash of it' });
    // Only the link of a record edited (its prevHash changed, hash not recomputed): that record is named.
    const relinkedOnly = records.map((r) => (r.seq === 3 ? { ...r, prevHash: 'b'.repeat(64) } : r));
    expect(verifyChain(relinkedOnly, { from: 1, to: 4, prevHashBefore: null })).toEqual({ valid: false, checkedCount: 2, firstBrokenSeq: 3, reason: 'record 3 was altered: its content no longer matches its hash' });
    expect(verifyChain(records.slice(2), { from: 3, to: 4, prevHashBefore: records[1].hash }).valid).toBe(true);
  });

  it('catches a rewritten head through the signed checkpoint', () => {
    const records = chain(3);
    const rewritten = { ...records[2], action: 'tampered' };
    const tampered = [records[0], records[1], { ...rewritten, hash: hashEntry(rewritten) }];
    const checkpoints = [{ seq: 3, hash: records[2].hash, signatureValid: true }];
    expect(verifyChain(tampered, { from: 1, to: 3, prevHashBefore: null })).toMatchObject({ valid: true });
    expect(verifyChain(tampered, { from: 1, to: 3, prevHashBefore: null }, checkpoints)).toMatchObject({ valid: false, firstBrokenSeq: 3 });
  });

  it('signs checkpoints and verifies inclusion proofs offline', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const jwk = publicKey.export({ format: 'jwk' });
    const records = chain(5);
    const jws = signCheckpoint({ tenantId: 't1', seq: 5, hash: records[4].hash }, privateKey, 'kid1');
    expect(readCheckpoint(jws, jwk)).toEqual({ tenantId: 't1', seq: 5, hash: records[4].hash });
    const [h, , s] = jws.split('.');
    expect(readCheckpoint(`${h}.${Buffer.from('{"hash":"x","seq":5,"tenantId":"t1"}').toString('base64url')}.${s}`, jwk)).toBeNull();
    const proof = { record: records[1], path: records.slice(2), checkpointJws: jws };
    expect(verifyInclusionProof(proof, jwk, 't1')).toEqual({ valid: true, reason: null });
    expect(verifyInclusionProof(proof, jwk, 't2').valid).toBe(false);
    expect(verifyInclusionProof({ ...proof, path: [records[2], { ...records[3], action: 'x' }, records[4]] }, jwk, 't1')).toEqual({ valid: false, reason: 'record 4 does not match its hash' });
    expect(verifyInclusionProof({ ...proof, path: records.slice(2, 4) }, jwk, 't1').reason).toBe('the path does not end at the checkpointed head');
  });
});

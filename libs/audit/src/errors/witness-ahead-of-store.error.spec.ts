import { WitnessAheadOfStoreError, type WitnessAheadOfStore } from './witness-ahead-of-store.error';

const facts: WitnessAheadOfStore = {
  witness: 'directory /srv/witness',
  logOrigin: 'audit-ledger/log',
  witnessed: { kind: 'checkpoint', origin: 'audit-ledger/log', size: 42 },
  storeSize: 7,
  storeCheckpointSize: 5,
};

describe('WitnessAheadOfStoreError: what the witness and the store hold, and what to do', () => {
  it('names the witness, both sizes and the origin, and says what to do in development and in production', () => {
    const error = new WitnessAheadOfStoreError(facts);
    expect(error).toMatchObject({ name: 'WitnessAheadOfStoreError', code: 'AUDIT_WITNESS_AHEAD', facts });
    expect(error.message).toMatch(
      /^The witness \(directory \/srv\/witness\) holds a checkpoint of origin "audit-ledger\/log" at tree size 42, but the database holds 7 event\(s\) and lacks that checkpoint \(its newest checkpoint is at tree size 5\): the database was recreated, or restored from an older backup/,
    );
    expect(error.message).toContain(
      'point the `witness` option (AUDIT_WITNESS_DIR) at a fresh witness directory',
    );
    expect(error.message).toContain('In production, do not: this is the rollback alarm');
    expect(error.message).toContain('includes the witnessed checkpoint (tree size 42)');
  });

  it("says when the witness's checkpoint is another log's", () => {
    const other = { ...facts, witnessed: { kind: 'checkpoint' as const, origin: 'billing/log', size: 42 } };
    expect(new WitnessAheadOfStoreError(other).message).toContain(
      'of origin "billing/log" at tree size 42 (this log\'s origin is "audit-ledger/log": is it another log\'s witness?)',
    );
  });

  it('names a key the witness published that the store does not know', () => {
    const notBefore = new Date('2026-12-01T10:00:00Z');
    const key = { kind: 'key' as const, keyId: '0a1b2c3d', name: 'audit-ledger/log', notBefore };
    const message = new WitnessAheadOfStoreError({
      ...facts,
      witnessed: key,
      storeSize: 0,
      storeCheckpointSize: null,
    }).message;
    expect(message).toContain(
      'holds signing key audit-ledger/log+0a1b2c3d, published with notBefore 2026-12-01T10:00:00.000Z, but the database holds 0 event(s) and does not know that key (it has no checkpoint)',
    );
    expect(message).toContain('includes that key');
  });
});

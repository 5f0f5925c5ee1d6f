import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { signCheckpoint } from '../crypto/checkpoint';
import { consistencyProof, merkleLeafHash, merkleRoot } from '../crypto/merkle';
import { formatVerifierKey, noteSignerFromSeed, type NoteSigner } from '../crypto/signed-note';
import { WitnessConflictError } from '../errors/witness-conflict.error';
import { WitnessRejectedError } from '../errors/witness-rejected.error';
import type { SigningKeyRecord } from '../keys/signing-key-record';
import { DirectoryWitness } from './directory.witness';

const ORIGIN = 'audit.example.com/log';
const NOW = new Date('2026-11-22T18:00:00.000Z');
const signer = noteSignerFromSeed(ORIGIN, Buffer.alloc(32, 1));
const leaves = Array.from({ length: 20 }, (_, i) => merkleLeafHash(Buffer.from(`event ${i}`)));
const otherLeaves = Array.from({ length: 20 }, (_, i) => merkleLeafHash(Buffer.from(`forged ${i}`)));
const minutes = (n: number) => new Date(NOW.getTime() - 60 * 60_000 + n * 60_000);

function keyRecord(s: NoteSigner, change: Partial<SigningKeyRecord> = {}): SigningKeyRecord {
  return {
    keyId: s.keyId.toString('hex'),
    keySetId: 'set-1',
    name: s.name,
    algorithm: 'ed25519',
    verifierKey: formatVerifierKey(s),
    notBefore: new Date('2026-01-01T00:00:00.000Z'),
    notAfter: null,
    status: 'ACTIVE',
    compromisedAt: null,
    ...change,
  };
}

/** A signed checkpoint of the first `size` leaves, dated `size` minutes after NOW − 1 h by default. */
function note(
  size: number,
  opts: { time?: Date; by?: NoteSigner; of?: Buffer[]; origin?: string } = {},
): string {
  const root = merkleRoot((opts.of ?? leaves).slice(0, size));
  const time = opts.time ?? minutes(size);
  return signCheckpoint(
    { origin: opts.origin ?? ORIGIN, size, root, time, extensions: [] },
    opts.by ?? signer,
  );
}
const proof = (m: number, n: number, of = leaves) => consistencyProof(of.slice(0, n), m);

describe('DirectoryWitness', () => {
  let root: string;
  let dir: string;
  let witness: DirectoryWitness;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'audit-witness-'));
    dir = join(root, 'nested', 'witness');
    witness = new DirectoryWitness(dir, { now: () => NOW });
    await witness.publishKey(keyRecord(signer));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  /** The witness after accepting the checkpoint of size 4. */
  async function holding4(): Promise<string> {
    const first = note(4);
    await witness.submit(first, null, []);
    return first;
  }

  it('holds nothing before the first checkpoint', async () => {
    const empty = new DirectoryWitness(join(root, 'empty'));
    expect(await empty.latest()).toBeNull();
    expect(await empty.keys()).toEqual([]);
  });

  it('accepts a first checkpoint and consistent successors, storing them byte for byte', async () => {
    const first = await holding4();
    expect(await witness.latest()).toBe(first);
    const second = note(9);
    await witness.submit(second, first, proof(4, 9));
    const third = note(9, { time: minutes(10) }); // same tree, later
    await witness.submit(third, second, []);
    await witness.submit(note(20), third, proof(9, 20));
    expect(await witness.latest()).toBe(note(20));
    expect(await readFile(join(dir, 'checkpoint'), 'utf8')).toBe(note(20));
  });

  it('keeps its files private and leaves no temporary or lock file behind', async () => {
    await holding4();
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'checkpoint'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'keys.json'))).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).sort()).toEqual(['checkpoint', 'keys.json']);
  });

  it('accepts a checkpoint dated within the clock skew', async () => {
    await witness.submit(note(4, { time: new Date(NOW.getTime() + 299_000) }), null, []);
  });

  describe('rejects', () => {
    const refused = async (p: Promise<void>, why: RegExp) => {
      await expect(p).rejects.toBeInstanceOf(WitnessRejectedError);
      await expect(p).rejects.toThrow(why);
    };

    it('a fork at the same size', async () => {
      const held = await holding4();
      await refused(witness.submit(note(4, { of: otherLeaves, time: minutes(5) }), held, []), /forked/);
    });

    it('a larger tree with a proof that does not hold', async () => {
      const held = await holding4();
      await refused(witness.submit(note(9, { of: otherLeaves }), held, proof(4, 9, otherLeaves)), /proof/);
      await refused(witness.submit(note(9), held, proof(4, 9, otherLeaves)), /proof/);
      await refused(witness.submit(note(9), held, []), /proof/);
    });

    it('a smaller tree', async () => {
      const held = await holding4();
      await refused(witness.submit(note(3, { time: minutes(5) }), held, []), /smaller than the held size 4/);
    });

    it('an earlier time', async () => {
      const held = await holding4();
      await refused(witness.submit(note(9, { time: minutes(3) }), held, proof(4, 9)), /before the held one/);
    });

    it('a time in the future', async () => {
      const later = new Date(NOW.getTime() + 301_000);
      await refused(witness.submit(note(4, { time: later }), null, []), /after the latest time allowed/);
    });

    it('another origin', async () => {
      const held = await holding4();
      const other = noteSignerFromSeed('other.example.com/log', Buffer.alloc(32, 3));
      await witness.publishKey(keyRecord(other));
      const next = note(9, { by: other, origin: other.name });
      await refused(witness.submit(next, held, proof(4, 9)), /origin/);
    });

    it('an unknown key', async () => {
      const stranger = noteSignerFromSeed(ORIGIN, Buffer.alloc(32, 2));
      await refused(witness.submit(note(4, { by: stranger }), null, []), /not signed by any known key/);
    });

    it('a key compromised before the checkpoint', async () => {
      await witness.publishKey(keyRecord(signer, { status: 'COMPROMISED', compromisedAt: minutes(4) }));
      await refused(witness.submit(note(4), null, []), /KEY_COMPROMISED/);
      await witness.submit(note(3), null, []);
    });

    it('a key used before notBefore or after notAfter', async () => {
      const late = noteSignerFromSeed(ORIGIN, Buffer.alloc(32, 4));
      await witness.publishKey(keyRecord(late, { notBefore: minutes(5) }));
      await refused(witness.submit(note(4, { by: late }), null, []), /KEY_NOT_YET_VALID/);
      await witness.publishKey(keyRecord(signer, { status: 'RETIRED', notAfter: minutes(3) }));
      await refused(witness.submit(note(4), null, []), /KEY_EXPIRED/);
      await witness.submit(note(5, { by: late }), null, []);
    });
  });

  it('refuses a stale expected checkpoint (compare-and-swap)', async () => {
    const first = await holding4();
    await witness.submit(note(9), first, proof(4, 9));
    await expect(witness.submit(note(12), first, proof(4, 12))).rejects.toThrow(WitnessConflictError);
    await expect(witness.submit(note(12), null, [])).rejects.toThrow(WitnessConflictError);
    expect(await witness.latest()).toBe(note(9));
  });

  it('lets exactly one of two concurrent submits with the same expected win', async () => {
    const first = await holding4();
    const rival = new DirectoryWitness(dir, { now: () => NOW });
    const results = await Promise.allSettled([
      witness.submit(note(9), first, proof(4, 9)),
      rival.submit(note(12), first, proof(4, 12)),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.map((r) => r.reason as unknown)).toEqual([expect.any(WitnessConflictError)]);
    expect([note(9), note(12)]).toContain(await witness.latest());
  });

  it('waits for a held lock, and removes one left by a crashed process', async () => {
    const lock = join(dir, 'lock');
    await writeFile(lock, 'other');
    setTimeout(() => void rm(lock), 200);
    await holding4();
    await writeFile(lock, 'crashed');
    const old = new Date(Date.now() - 31_000);
    await utimes(lock, old, old);
    await witness.submit(note(9), note(4), proof(4, 9));
    expect((await readdir(dir)).sort()).toEqual(['checkpoint', 'keys.json']);
  });

  it('at once takes over a fresh lock whose holder on this host is dead (a worker killed mid-submit)', async () => {
    await holding4();
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid;
    await writeFile(join(dir, 'lock'), `${hostname()} ${dead} killed\n`);
    const started = Date.now();
    await witness.submit(note(9), note(4), proof(4, 9));
    expect(Date.now() - started).toBeLessThan(1000);
    // A live holder's fresh lock is still respected.
    await writeFile(join(dir, 'lock'), `${hostname()} ${process.pid} alive\n`);
    setTimeout(() => void rm(join(dir, 'lock')), 300);
    const waited = Date.now();
    await witness.submit(note(12), note(9), proof(9, 12));
    expect(Date.now() - waited).toBeGreaterThanOrEqual(250);
  });

  describe('publishKey', () => {
    it('appends new keys and returns them with dates', async () => {
      const next = noteSignerFromSeed(ORIGIN, Buffer.alloc(32, 5));
      await witness.publishKey(keyRecord(next, { keySetId: 'set-2' }));
      expect(await witness.keys()).toEqual([keyRecord(signer), keyRecord(next, { keySetId: 'set-2' })]);
    });

    it('stores only the record fields', async () => {
      await witness.publishKey({ ...keyRecord(signer), privateKey: 'secret' } as SigningKeyRecord);
      expect(await readFile(join(dir, 'keys.json'), 'utf8')).not.toContain('secret');
    });

    it('lets the lifecycle move forward, once', async () => {
      await witness.publishKey(keyRecord(signer));
      const retired = keyRecord(signer, { status: 'RETIRED', notAfter: minutes(30) });
      await witness.publishKey(retired);
      const compromised = { ...retired, status: 'COMPROMISED' as const, compromisedAt: minutes(20) };
      await witness.publishKey(compromised);
      expect(await witness.keys()).toEqual([compromised]);
      const other = noteSignerFromSeed(ORIGIN, Buffer.alloc(32, 6));
      await witness.publishKey(keyRecord(other));
      await witness.publishKey(keyRecord(other, { status: 'COMPROMISED', compromisedAt: minutes(1) }));
    });

    it.each<[string, Partial<SigningKeyRecord>, RegExp]>([
      [
        'another verifier key',
        { verifierKey: formatVerifierKey(noteSignerFromSeed(ORIGIN, Buffer.alloc(32, 9))) },
        /verifier key is of/,
      ],
      ['a malformed verifier key', { verifierKey: 'nonsense' }, /malformed/],
      ['another key set', { keySetId: 'set-9' }, /keySetId cannot change/],
      ['another notBefore', { notBefore: new Date('2026-02-01T00:00:00.000Z') }, /notBefore cannot change/],
      ['a status going back', { status: 'ACTIVE' }, /cannot go back from RETIRED to ACTIVE/],
      ['notAfter moved', { status: 'RETIRED', notAfter: minutes(40) }, /notAfter is set once/],
      ['notAfter unset', { status: 'RETIRED', notAfter: null }, /notAfter is set once/],
      [
        'a compromised key without compromisedAt',
        { status: 'COMPROMISED', notAfter: minutes(30) },
        /needs compromisedAt/,
      ],
      ['an invalid date', { notBefore: new Date(NaN) }, /valid date/],
    ])('refuses %s', async (_, change, why) => {
      await witness.publishKey(keyRecord(signer, { status: 'RETIRED', notAfter: minutes(30) }));
      const changed = keyRecord(signer, { status: 'RETIRED', notAfter: minutes(30), ...change });
      await expect(witness.publishKey(changed)).rejects.toThrow(WitnessRejectedError);
      await expect(witness.publishKey(changed)).rejects.toThrow(why);
    });

    it('refuses to move compromisedAt once set', async () => {
      await witness.publishKey(keyRecord(signer, { status: 'COMPROMISED', compromisedAt: minutes(1) }));
      const moved = keyRecord(signer, { status: 'COMPROMISED', compromisedAt: minutes(2) });
      await expect(witness.publishKey(moved)).rejects.toThrow(/compromisedAt is set once/);
    });
  });
});

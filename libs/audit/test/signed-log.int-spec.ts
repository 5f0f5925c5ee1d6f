import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  Checkpointer,
  EVENT_HASH_ALG,
  DirectoryKeyProvider,
  DirectoryWitness,
  entityKey,
  headLine,
  headMoved,
  headsLine,
  KeyRegistry,
  LogIntegrityError,
  LogVerifier,
  merkleLeafHash,
  merkleRoot,
  movedHeads,
  movedLine,
  noteSignerFromSeed,
  openCheckpoint,
  parseCheckpoint,
  parseHeadsLine,
  parseVerifierKey,
  signCheckpoint,
  WitnessRejectedError,
  type AuditModuleOptions,
  type NoteSigner,
} from '../src';
import { waitFor } from '../../../test/support/wait-for';
import { startFixtureApp, type FixtureApp } from './fixtures/fixture-app';
import {
  expectTampered,
  replaceBatchStatement,
  rewriteChain,
  sealedChain,
  waitForChain,
} from './fixtures/tamper';

// Checkpoints only when a test asks (run('NOW')), so each test knows what the witness holds.
const MANUAL: AuditModuleOptions = {
  checkpoint: { intervalMs: 3_600_000, heartbeatMs: 3_600_000, everyEvents: 1_000_000 },
};
const ORIGIN = 'audit-ledger/log';

async function start(options: AuditModuleOptions = {}) {
  const f = await startFixtureApp({ ...MANUAL, ...options });
  // The worker cuts one checkpoint when it starts; wait for it, so no test races it.
  await waitFor(
    async () => (await f.db.query('select 1 from audit.checkpoints')).length > 0,
    'the first checkpoint',
  );
  return {
    f,
    checkpoint: () => f.app.get(Checkpointer).run('NOW'),
    verifyLog: (mode?: 'FULL' | 'INCREMENTAL') => f.app.get(LogVerifier).verify(mode),
    witness: new DirectoryWitness(f.db.witnessDir),
    /** The active private key, as an insider who stole it from the worker host would hold it. */
    stolenKey: async (): Promise<NoteSigner> => (await new DirectoryKeyProvider(f.db.keyDir).signers())[0],
  };
}

// Every statement as an insider with superuser rights: append-only triggers disabled.
const sql = <T = Record<string, unknown>>(f: FixtureApp, text: string, ...params: unknown[]) =>
  f.db.tamper<T>(text, params);

// A fresh store per test: once a test has tampered with the log, the worker rightly refuses to
// cut checkpoints on top of it.
describe('signed batches, checkpoints and the witness (read-time attacks)', () => {
  let t: Awaited<ReturnType<typeof start>>;
  beforeEach(async () => (t = await start()));
  afterEach(async () => t.f.close());

  it('signs each batch, gives every event its integrity string, and cuts C2SP checkpoints the witness holds', async () => {
    const id = await sealedChain(t.f);
    await t.checkpoint();
    const [keyRecord] = await t.witness.keys();
    expect(keyRecord).toMatchObject({ keySetId: 'default', name: ORIGIN, status: 'ACTIVE', notAfter: null });
    expect(keyRecord.verifierKey).toMatch(new RegExp(`^${ORIGIN}\\+${keyRecord.keyId}\\+[A-Za-z0-9+/]{44}$`));
    const verifier = parseVerifierKey(keyRecord.verifierKey);

    const trail = await t.f.trail(id);
    for (const e of trail)
      expect(e.integrity).toBe(`default::${keyRecord.keyId}::${EVENT_HASH_ALG}::${e.hash}`);
    const last = trail[trail.length - 1];
    const [batch] = await sql(
      t.f,
      'select note, head_index, head_proof from audit.batches where tree_size = $1',
      last.batchTreeSize,
    );
    const statement = openCheckpoint(batch.note as string, [verifier]).checkpoint;
    // Format v2: the transaction's one statement commits to the heads it moved (here one).
    const head = {
      key: entityKey('Account', id),
      chainSeq: last.chainSeq,
      hash: Buffer.from(last.hash, 'hex'),
    };
    const { moved } = movedHeads([head]);
    expect(statement.extensions).toEqual([movedLine(moved)]);
    expect(statement.size).toBe(last.batchTreeSize);
    expect(batch).toMatchObject({ head_index: 0, head_proof: Buffer.alloc(0) });
    expect(headMoved(moved, head, 0, [])).toBe(true);

    const held = await t.witness.latest();
    const [newest] = await sql(t.f, 'select note from audit.checkpoints order by id desc limit 1');
    expect(held).toBe(newest.note);
    const checkpoint = openCheckpoint(held!, [verifier]).checkpoint;
    const leaves = await sql(t.f, 'select hash from audit.events order by global_seq');
    expect(checkpoint.origin).toBe(ORIGIN);
    expect(checkpoint.size).toBe(leaves.length);
    expect(checkpoint.root.equals(merkleRoot(leaves.map((l) => merkleLeafHash(l.hash as Buffer))))).toBe(
      true,
    );
    expect(parseHeadsLine(checkpoint.extensions)).toHaveLength(32);
    // The text is exactly the C2SP form: origin, size, base64 root, then our extension lines.
    expect(held!.split('\n').slice(0, 3)).toEqual([
      ORIGIN,
      String(leaves.length),
      checkpoint.root.toString('base64'),
    ]);
  });

  it('detects the whole chain rewritten with correctly recomputed SHA-256 hashes (no key)', async () => {
    const id = await sealedChain(t.f);
    await rewriteChain(t.f, id, (e) => {
      if (e.after && 'name' in e.after) e.after = { ...e.after, name: 'rewritten' };
    });
    // The chain alone verifies again; the signed batch statement names the old head.
    await expectTampered(t.f, id, 4, 'SIGNED_HEAD_MISMATCH');
    expect((await t.verifyLog()).failures.map((x) => x.reason)).toContain('BATCH_INVALID');
  });

  it('detects the chain rewritten before the latest checkpoint even when the newest batch is re-pointed', async () => {
    const id = await sealedChain(t.f);
    await t.checkpoint();
    const head = await rewriteChain(t.f, id, (e) => {
      if (e.actor.id === 'system') e.actor = { ...e.actor, id: 'mallory' };
    });
    // Drop the batch statements: the attacker cannot sign new ones.
    await sql(t.f, 'update audit.events set key_id = null, batch_tree_size = null where entity_id = $1', id);
    expect(head).toHaveLength(32);
    const report = await t.f.audit.verifyTrail('Account', id);
    expect(report.failures.map((x) => x.reason)).toEqual(
      expect.arrayContaining(['UNSIGNED', 'SIGNED_HEAD_MISMATCH']),
    );
  });

  it('detects the last events deleted together with the chain head rolled back (the checkpoint commits to the head)', async () => {
    const id = await sealedChain(t.f);
    await t.checkpoint();
    await sql(t.f, 'delete from audit.events where entity_id = $1 and chain_seq > 2', id);
    await sql(
      t.f,
      `update audit.chain_heads h set last_seq = 2, last_hash = e.hash
       from audit.events e where e.entity_id = h.entity_id and e.chain_seq = 2 and h.entity_id = $1`,
      id,
    );
    // Event 2's own batch statement signs chain_seq 2, so only the checkpoint's heads map can tell.
    await expectTampered(t.f, id, 3, 'TRUNCATED');
    // The deleted events were the global tail: the log is now shorter than the witness's checkpoint.
    expect((await t.verifyLog()).failures.map((x) => x.reason)).toContain('ROLLED_BACK');
  });

  it('detects downgrades: an unsigned entry and an unknown key id', async () => {
    const a = await sealedChain(t.f);
    await sql(t.f, 'update audit.events set key_id = null where entity_id = $1 and chain_seq = 2', a);
    await expectTampered(t.f, a, 2, 'UNSIGNED');
    const b = await sealedChain(t.f);
    await sql(t.f, `update audit.events set key_id = 'deadbeef' where entity_id = $1 and chain_seq = 3`, b);
    await expectTampered(t.f, b, 3, 'UNKNOWN_KEY');
  });

  it('detects a batch statement signed by an unknown key planted in audit.signing_keys', async () => {
    const id = await sealedChain(t.f);
    const head = await rewriteChain(t.f, id, (e) => {
      if (e.after) e.after = { ...e.after, email: 'mallory@evil.test' };
    });
    const mallory = noteSignerFromSeed(ORIGIN, Buffer.alloc(32, 7));
    const keyId = mallory.keyId.toString('hex');
    await sql(
      t.f,
      `insert into audit.signing_keys (key_id, key_set_id, name, algorithm, verifier_key, not_before, status)
       values ($1, 'default', $2, 'ed25519', $3, now() - interval '1 day', 'ACTIVE')`,
      keyId,
      ORIGIN,
      `${ORIGIN}+${keyId}+${Buffer.concat([Buffer.from([1]), mallory.publicKey]).toString('base64')}`,
    );
    const [last] = await sql(
      t.f,
      'select batch_tree_size, chain_seq from audit.events where entity_id = $1 order by chain_seq desc limit 1',
      id,
    );
    const [{ root_hash }] = await sql(t.f, 'select root_hash from audit.log_head');
    const forged = signCheckpoint(
      {
        origin: ORIGIN,
        size: Number(last.batch_tree_size),
        root: root_hash as Buffer,
        time: new Date(),
        extensions: [
          headLine({ key: entityKey('Account', id), chainSeq: Number(last.chain_seq), hash: head }),
        ],
      },
      mallory,
    );
    await replaceBatchStatement(t.f, id, last.batch_tree_size, forged, keyId);
    await expectTampered(t.f, id, 1, 'UNKNOWN_KEY');
    expect((await t.verifyLog()).failures.map((x) => x.reason)).toEqual(
      expect.arrayContaining(['KEY_MISMATCH', 'BATCH_INVALID']),
    );
  });
});

describe('full log verification against the witness', () => {
  let t: Awaited<ReturnType<typeof start>>;
  beforeEach(async () => (t = await start()));
  afterEach(async () => t.f.close());

  it('verifies an untouched store in full, then only the new leaves incrementally', async () => {
    await sealedChain(t.f, 2);
    await t.checkpoint();
    const full = await t.verifyLog('FULL');
    expect(full).toMatchObject({ valid: true, mode: 'FULL', fromSize: 0, failures: [] });
    expect(full.treeSize).toBe(full.witnessedSize);
    await sealedChain(t.f, 1);
    await t.checkpoint();
    const incremental = await t.verifyLog('INCREMENTAL');
    expect(incremental).toMatchObject({
      valid: true,
      mode: 'INCREMENTAL',
      fromSize: full.treeSize,
      failures: [],
    });
    expect(incremental.checkedEvents).toBe(incremental.treeSize - full.treeSize);
    expect(incremental.checkedEvents).toBeGreaterThanOrEqual(2);
  });

  it('gives a verdict, not a crash, when a record’s last events are deleted from the middle of the log under a checkpoint', async () => {
    const victim = await sealedChain(t.f, 3);
    await sealedChain(t.f, 3); // later events: the victim's are not the global tail
    await t.checkpoint();
    const deleted = await sql<{ global_seq: string }>(
      t.f,
      'delete from audit.events where entity_id = $1 and chain_seq > 2 returning global_seq',
      victim,
    );
    // Two leaves out of the middle of a log of at least eight: the shape that used to crash the
    // Merkle replay (its compact range no longer matched the size it was told).
    expect(deleted.map((r) => Number(r.global_seq)).sort()).toEqual([4, 5]);
    const report = await t.verifyLog('FULL');
    expect(report.valid).toBe(false);
    const reasons = new Set(report.failures.map((x) => x.reason));
    expect(reasons).toContain('GLOBAL_SEQUENCE_GAP');
    // The gap is named once, at the first missing position, not once for every later event.
    expect(report.failures.filter((x) => x.reason === 'GLOBAL_SEQUENCE_GAP')).toHaveLength(1);
    // Later batch statements sign roots over the deleted leaves; the witness's size is never reached.
    expect(reasons).toContain('BATCH_INVALID');
    expect(reasons).toContain('ROLLED_BACK');
  });

  it('detects a restore of an older backup (rollback) against the witness, and refuses to sign on top of it', async () => {
    const kept = await sealedChain(t.f, 1);
    await t.checkpoint();
    const tables = ['events', 'chain_heads', 'log_head', 'batches', 'checkpoints', 'head_map_nodes'];
    await sql(t.f, 'create schema backup');
    for (const table of tables)
      await sql(t.f, `create table backup.${table} as select * from audit.${table}`);
    await sealedChain(t.f, 2);
    await t.checkpoint();
    // The restore, as a superuser would run it.
    for (const table of tables) {
      await sql(t.f, `delete from audit.${table}`);
      await sql(t.f, `insert into audit.${table} select * from backup.${table}`);
    }
    const report = await t.verifyLog();
    expect(report.valid).toBe(false);
    expect(report.failures.map((x) => x.reason)).toContain('ROLLED_BACK');
    expect(report.treeSize).toBeLessThan(report.witnessedSize);
    await expectTampered(t.f, kept, 3, 'CHECKPOINT_MISSING');
    await expect(t.f.app.get(Checkpointer).cut('NOW')).rejects.toBeInstanceOf(LogIntegrityError);
    // Nor is any batch: the sealer refuses to extend a log shorter than the witness's.
    const [{ tree_size: restored }] = await sql(t.f, 'select tree_size from audit.log_head');
    await t.f.accounts.update(kept, { name: 'after the restore' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await sql(t.f, 'select 1 from audit.batches where tree_size > $1', restored)).toHaveLength(0);
    expect(await sql(t.f, 'select 1 from audit.outbox where entity_id = $1', kept)).toHaveLength(1);
  });

  it('detects the newest checkpoints deleted along with the global tail', async () => {
    await sealedChain(t.f, 1);
    await t.checkpoint();
    const [first] = await sql(t.f, 'select * from audit.checkpoints order by id desc limit 1');
    const victim = await sealedChain(t.f, 2);
    await t.checkpoint();
    await t.checkpoint();
    await sql(t.f, 'delete from audit.events where global_seq > $1', first.tree_size);
    await sql(t.f, 'delete from audit.batches where tree_size > $1', first.tree_size);
    await sql(t.f, 'delete from audit.checkpoints where id > $1', first.id);
    await sql(t.f, 'delete from audit.chain_heads where entity_id = $1', victim);
    await sql(
      t.f,
      'update audit.log_head set tree_size = $1, compact_range = $2, root_hash = $3',
      first.tree_size,
      JSON.stringify(first.compact_range),
      first.root_hash,
    );
    const report = await t.verifyLog();
    expect(report.failures.map((x) => x.reason)).toEqual(['ROLLED_BACK', 'ROLLED_BACK']);
  });

  it('detects checkpoints with a timestamp in the future or out of order (signed with a stolen key), which the witness also refuses', async () => {
    const id = await sealedChain(t.f, 1);
    await t.checkpoint();
    const key = await t.stolenKey();
    const [last] = await sql(t.f, 'select * from audit.checkpoints order by id desc limit 1');
    const body = {
      origin: ORIGIN,
      size: Number(last.tree_size),
      root: last.root_hash as Buffer,
      extensions: [headsLine(last.heads_root as Buffer)],
    };
    const insert = (note: string, time: Date) =>
      sql(
        t.f,
        `insert into audit.checkpoints (tree_size, root_hash, heads_root, checkpoint_time, key_id, compact_range, note)
         values ($1, $2, $3, $4, $5, $6, $7)`,
        last.tree_size,
        last.root_hash,
        last.heads_root,
        time,
        last.key_id,
        JSON.stringify(last.compact_range),
        note,
      );

    const future = new Date(Date.now() + 24 * 3600_000);
    const futureNote = signCheckpoint({ ...body, time: future }, key);
    await expect(t.witness.submit(futureNote, await t.witness.latest(), [])).rejects.toBeInstanceOf(
      WitnessRejectedError,
    );
    await insert(futureNote, future);
    const report = await t.verifyLog();
    expect(report.failures).toEqual([
      expect.objectContaining({ reason: 'CHECKPOINT_INVALID', detail: expect.stringContaining('future') }),
    ]);
    await expectTampered(t.f, id, 3, 'CHECKPOINT_INVALID');

    await sql(t.f, 'delete from audit.checkpoints where note = $1', futureNote);
    // Earlier than the checkpoint it follows, yet inside the key's validity window.
    const past = new Date((await t.witness.keys())[0].notBefore.getTime() + 1);
    expect(past.getTime()).toBeLessThan((last.checkpoint_time as Date).getTime());
    const pastNote = signCheckpoint({ ...body, time: past }, key);
    await expect(t.witness.submit(pastNote, await t.witness.latest(), [])).rejects.toBeInstanceOf(
      WitnessRejectedError,
    );
    await insert(pastNote, new Date((last.checkpoint_time as Date).getTime() + 1));
    expect((await t.verifyLog()).failures).toEqual([
      expect.objectContaining({
        reason: 'CHECKPOINT_INVALID',
        detail: expect.stringContaining('time goes back'),
      }),
    ]);
  });
});

describe('keys: rotation, validity windows, compromise', () => {
  let t: Awaited<ReturnType<typeof start>>;
  beforeEach(async () => (t = await start()));
  afterEach(async () => t.f.close());

  it('rotates on demand: the new key signs from then on, the retired key still verifies, its private half is destroyed, rotation is audited', async () => {
    const before = await sealedChain(t.f, 1);
    const [oldKey] = await t.witness.keys();
    const created = await t.f.app.get(KeyRegistry).rotate();
    expect(created.keyId).not.toBe(oldKey.keyId);
    const after = await sealedChain(t.f, 1);
    expect((await t.f.trail(before)).every((e) => e.keyId === oldKey.keyId)).toBe(true);
    expect((await t.f.trail(after)).every((e) => e.keyId === created.keyId)).toBe(true);
    const keys = await t.witness.keys();
    expect(keys.find((k) => k.keyId === oldKey.keyId)).toMatchObject({
      status: 'RETIRED',
      notAfter: expect.any(Date),
    });
    expect(
      (await new DirectoryKeyProvider(t.f.db.keyDir).signers()).map((s) => s.keyId.toString('hex')),
    ).toEqual([created.keyId]);
    const rotations = await sql(
      t.f,
      `select metadata from audit.events where entity_type = 'audit.signing_key' and action = 'KEY_ROTATED' order by global_seq`,
    );
    expect(rotations.map((r) => (r.metadata as { reason: string }).reason)).toEqual(['INITIAL', 'ON_DEMAND']);
    expect(rotations[1].metadata).toMatchObject({ keyId: created.keyId, previousKeyId: oldKey.keyId });
    await t.checkpoint();
    expect((await t.verifyLog()).valid).toBe(true);

    // A worker that died between the commit and publishing the retirement: the next start publishes it.
    const file = join(t.f.db.witnessDir, 'keys.json');
    const published = JSON.parse(await readFile(file, 'utf8')) as {
      keyId: string;
      status: string;
      notAfter: unknown;
    }[];
    const stale = published.map((k) =>
      k.keyId === oldKey.keyId ? { ...k, status: 'ACTIVE', notAfter: null } : k,
    );
    await writeFile(file, JSON.stringify(stale));
    await t.f.app.get(KeyRegistry).ensureActiveKey();
    expect((await t.witness.keys()).find((k) => k.keyId === oldKey.keyId)?.status).toBe('RETIRED');
  });

  it('rotates on schedule once the active key is older than keyRotationIntervalMs', async () => {
    const [first] = await t.witness.keys();
    // A second worker on the same store whose schedule says the key is due.
    const second = await startFixtureApp(
      { ...MANUAL, keyRotationIntervalMs: 1 },
      { db: t.f.db, queuePrefix: t.f.queuePrefix },
    );
    await second.close();
    const keys = await t.witness.keys();
    expect(keys.length).toBeGreaterThanOrEqual(2);
    expect(keys.find((k) => k.keyId === first.keyId)?.status).toBe('RETIRED');
    const reasons = await sql(
      t.f,
      `select payload->'metadata'->>'reason' as reason from audit.outbox where payload->>'action' = 'KEY_ROTATED'
       union all select metadata->>'reason' from audit.events where action = 'KEY_ROTATED'`,
    );
    expect(reasons.map((r) => r.reason)).toContain('SCHEDULED');
  });

  it('rejects a signature made with a retired key after its notAfter (no re-signing history with an old key)', async () => {
    const retired = await t.stolenKey();
    await t.f.app.get(KeyRegistry).rotate();
    const id = await sealedChain(t.f, 0);
    const [row] = await sql(t.f, 'select batch_tree_size from audit.events where entity_id = $1', id);
    const [batch] = await sql(
      t.f,
      'select note from audit.batches where tree_size = $1',
      row.batch_tree_size,
    );
    const note = batch.note as string;
    const statement = parseCheckpoint(note.slice(0, note.lastIndexOf('\n\n') + 1));
    const resigned = signCheckpoint(statement, retired);
    const retiredId = retired.keyId.toString('hex');
    await replaceBatchStatement(t.f, id, row.batch_tree_size, resigned, retiredId);
    await expectTampered(t.f, id, 1, 'KEY_EXPIRED');
  });

  it('a key marked compromised fails everything it signed from then on, with a clear reason', async () => {
    const early = await sealedChain(t.f, 0);
    const since = new Date();
    await new Promise((r) => setTimeout(r, 5));
    const late = await sealedChain(t.f, 0);
    const [key] = await t.witness.keys();
    await t.f.app.get(KeyRegistry).markCompromised(key.keyId, since);
    expect((await t.f.audit.verifyTrail('Account', early)).valid).toBe(true);
    await expectTampered(t.f, late, 1, 'KEY_COMPROMISED');
    expect((await t.verifyLog()).failures).toContainEqual(
      expect.objectContaining({
        reason: 'BATCH_INVALID',
        detail: expect.stringContaining('KEY_COMPROMISED'),
      }),
    );
    const fresh = await sealedChain(t.f, 0);
    expect((await t.f.trail(fresh))[0].keyId).not.toBe(key.keyId);
    const [compromise] = await sql(t.f, `select metadata from audit.events where action = 'KEY_COMPROMISED'`);
    expect(compromise).toBeDefined();
    await waitForChain(t.f, fresh, 1);
  });
});

describe('checkpoint schedule', () => {
  let t: Awaited<ReturnType<typeof start>>;
  beforeAll(
    async () => (t = await start({ checkpoint: { everyEvents: 3, intervalMs: 300, heartbeatMs: 600 } })),
  );
  afterAll(async () => t.f.close());

  const checkpoints = () =>
    sql(t.f, 'select tree_size::int as size, checkpoint_time as time from audit.checkpoints order by id');

  it('cuts a checkpoint once everyEvents are sealed, and the witness gets it', async () => {
    const before = (await checkpoints()).length;
    await sealedChain(t.f, 3);
    await waitFor(async () => {
      const [{ n }] = await sql(t.f, 'select count(*)::int as n from audit.events');
      const all = await checkpoints();
      return all.length > before && all[all.length - 1].size === n;
    }, 'a checkpoint covering every sealed event');
    const [{ n }] = await sql(t.f, 'select count(*)::int as n from audit.events');
    await waitFor(async () => (await t.witness.latest())?.split('\n')[1] === String(n), 'the witness');
  });

  it('keeps cutting heartbeat checkpoints while idle, so silence cannot hide deleted events', async () => {
    const idleFrom = (await checkpoints()).length;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const idle = (await checkpoints()).slice(idleFrom);
    expect(idle.length).toBeGreaterThanOrEqual(2);
    expect(new Set(idle.map((c) => c.size)).size).toBe(1);
    const times = idle.map((c) => new Date(c.time as string).getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times[times.length - 1] - times[0]).toBeGreaterThanOrEqual(500);
  });
});

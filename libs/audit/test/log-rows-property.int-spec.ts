import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { waitFor } from '../../../test/support/wait-for';
import {
  AuditArchiver,
  AuditExporter,
  AuditQueryService,
  AuditSubjectErasure,
  Checkpointer,
  DirectoryArchiveSink,
  DirectoryBundleStore,
  DirectoryWitness,
  KeyRegistry,
  LogVerifier,
  RetentionPolicy,
  verifyBundle,
  type AuditModuleOptions,
  type LogFailureReason,
} from '../src';
import { startFixtureApp, type FixtureApp } from './fixtures/fixture-app';

// Checkpoints only when a history asks (run('NOW')), so each history decides what the witness holds.
const MANUAL: AuditModuleOptions = {
  checkpoint: { intervalMs: 3_600_000, heartbeatMs: 3_600_000, everyEvents: 1_000_000 },
};
// The Account fixture's name and email are personal data: events hold envelopes, erasure shreds them.
const PERSONAL: AuditModuleOptions = {
  personalData: { Account: { fields: ['name', 'email'] } },
  subjectKeyEncryptionKey: randomBytes(32).toString('base64'),
};
const GLOBAL = { tenantId: null };
const EVERYTHING = {
  from: '2000-01-01T00:00:00Z',
  to: '2100-01-01T00:00:00Z',
  entityType: null,
  tenantId: null,
};

/**
 * A passing property takes a fraction of this; a failing one stops shrinking here and reports the
 * smallest counterexample found so far. Runs cut short by it fail: none is dropped silently.
 */
const BOUNDED = { interruptAfterTimeLimit: 60_000, markInterruptAsFailure: true };

/** Every reason log-verification.ts documents; a Record, so the compiler keeps the list complete. */
const DOCUMENTED: Record<LogFailureReason, true> = {
  WITNESS_CHECKPOINT_INVALID: true,
  ROLLED_BACK: true,
  GLOBAL_SEQUENCE_GAP: true,
  CHAIN_INVALID: true,
  BATCH_INVALID: true,
  CHECKPOINT_INVALID: true,
  HEADS_ROOT_MISMATCH: true,
  HEAD_MISMATCH: true,
  KEY_MISMATCH: true,
  ARCHIVE_CUT_INVALID: true,
};

/** A fixture app with its own archive directory and its first checkpoint witnessed. */
async function started(dir: string): Promise<FixtureApp> {
  const f = await startFixtureApp({
    ...MANUAL,
    ...PERSONAL,
    archiveSink: new DirectoryArchiveSink(join(dir, 'archive')),
  });
  await waitFor(
    async () => (await new DirectoryWitness(f.db.witnessDir).latest()) !== null,
    'the first witnessed checkpoint',
  );
  return f;
}

/** Waits until the outbox is empty: the sealer deletes an outbox row in the transaction that seals it. */
async function sealAll(f: FixtureApp): Promise<void> {
  await waitFor(
    async () => (await f.db.query('select 1 from audit.outbox limit 1')).length === 0,
    'an empty outbox',
  );
}

async function checkpoint(f: FixtureApp): Promise<void> {
  await sealAll(f);
  await f.app.get(Checkpointer).run('NOW');
}

const verifyLog = (f: FixtureApp, mode: 'FULL' | 'INCREMENTAL') => f.app.get(LogVerifier).verify(mode);

/** Exports every live event and verifies the bundle offline with the witness's keys. */
async function exportVerified(f: FixtureApp, dir: string) {
  const store = new DirectoryBundleStore(dir);
  await f.app.get(AuditExporter).export({ selection: EVERYTHING, format: 'ndjson', gzip: false }, store);
  return verifyBundle(store, { trustedKeys: await new DirectoryWitness(f.db.witnessDir).keys() });
}

// ---------------------------------------------------------------------------------------------
// Histories: what an honest operator does
// ---------------------------------------------------------------------------------------------

const RECORDS = 4;

/** One step of an honest history, as fast-check generates it. */
type Op =
  /** Events through the fixture app's audited methods: opens the record if new, else changes it. */
  | { kind: 'write'; records: number[]; parallel: boolean }
  | { kind: 'seal' }
  | { kind: 'checkpoint' }
  | { kind: 'rotate' }
  | { kind: 'archive' }
  /** Erases the n-th record opened so far (modulo their number); nothing before the first. */
  | { kind: 'erase'; record: number }
  | { kind: 'verify'; mode: 'FULL' | 'INCREMENTAL' };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      records: fc.array(fc.integer({ min: 0, max: RECORDS - 1 }), { minLength: 1, maxLength: 4 }),
      parallel: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'seal' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'checkpoint' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'rotate' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'archive' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('erase' as const), record: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('verify' as const),
      mode: fc.constantFrom('FULL' as const, 'INCREMENTAL' as const),
    }),
  },
);

/** The first day of the UTC month `offset` months from now (negative: the past). */
const monthStart = (offset: number, now = new Date()) =>
  new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));

/** Replays a history's steps on one store, through the library's public services. */
class History {
  private readonly ids: (string | undefined)[] = new Array<string | undefined>(RECORDS);
  private written = 0;
  private archives = 0;

  constructor(
    private readonly f: FixtureApp,
    /** How many archive steps the history holds: the i-th (from 0) archives into month i - total. */
    private readonly totalArchives: number,
  ) {}

  static async replay(f: FixtureApp, steps: Op[]): Promise<History> {
    const history = new History(f, steps.filter((s) => s.kind === 'archive').length);
    for (const step of steps) await history.apply(step);
    await sealAll(f);
    return history;
  }

  private async apply(step: Op): Promise<void> {
    const f = this.f;
    switch (step.kind) {
      case 'write':
        if (step.parallel) await Promise.all([...new Set(step.records)].map((r) => this.write(r)));
        else for (const r of step.records) await this.write(r);
        return;
      case 'seal':
        return sealAll(f);
      case 'checkpoint':
        return checkpoint(f);
      case 'rotate':
        await f.app.get(KeyRegistry).rotate();
        return;
      case 'archive':
        return this.archive();
      case 'erase': {
        const opened = this.accounts();
        if (opened.length === 0) return;
        const id = opened[step.record % opened.length];
        await f.app.get(AuditSubjectErasure).erase(id, { reason: 'property test erasure' });
        return;
      }
      case 'verify':
        await sealAll(f);
        expect(await verifyLog(f, step.mode)).toMatchObject({ valid: true, failures: [] });
    }
  }

  private async write(r: number): Promise<void> {
    const n = ++this.written;
    const id = this.ids[r];
    if (!id) {
      const tenantId = r % 2 === 0 ? 'acme' : 'globex';
      this.ids[r] = (await this.f.accounts.open({ name: `r${r}`, email: `r${r}@x.test`, tenantId })).id;
    } else if (n % 3 === 0) {
      await this.f.accounts.deposit(id, n);
    } else {
      await this.f.accounts.update(id, { name: `r${r} v${n}`, email: `r${r}.${n}@x.test` });
    }
  }

  /**
   * Everything live goes into one closed month, which is archived: the witness covers it first,
   * and each archive takes a later month than the one before (recorded_at is not hashed, and the
   * log order is kept), as archive.int-spec.ts does with one month.
   */
  private async archive(): Promise<void> {
    const f = this.f;
    if (this.archives === 0) {
      await f.app
        .get(RetentionPolicy)
        .setRule({ archiveAfterDays: 0, reason: 'property test: archive closed months' });
    }
    const month = monthStart(this.archives - this.totalArchives);
    this.archives++;
    await checkpoint(f);
    const [{ cut }] = await f.db.query<{ cut: number }>(
      'select coalesce(max(to_seq), 0)::int as cut from audit.archive_segments',
    );
    await f.db.tamper('select audit.create_event_partition($1)', [month]);
    await f.db.tamper(
      'update audit.events set recorded_at = recorded_at - (now() - $1::timestamptz) where global_seq > $2',
      [new Date(month.getTime() + 14 * 86_400_000), cut],
    );
    const report = await f.app.get(AuditArchiver).archive(monthStart(0));
    expect(report).toMatchObject({ refused: null, archived: [expect.anything()] });
  }

  /** Every entity with events, live or archived: what a reader may ask for. */
  entities(): Promise<{ type: string; id: string }[]> {
    return this.f.db.query<{ type: string; id: string }>(
      `select entity_type as type, entity_id as id from audit.chain_heads where last_seq > 0
       union select entity_type, entity_id from audit.archive_heads order by 1, 2`,
    );
  }

  accounts(): string[] {
    return this.ids.filter((id): id is string => id !== undefined);
  }
}

/**
 * No false alarms: whatever an honest operator does, in any order (write events to random
 * records, alone or concurrently, seal, cut checkpoints, leave sealed events after the last
 * checkpoint, rotate the key, archive a cut, erase a subject), the log verifies in full and
 * incrementally (also between steps), every trail verifies, and an export verifies offline.
 */
describe('honest histories raise no alarm (property over real rows)', () => {
  let base: string;
  beforeAll(async () => (base = await mkdtemp(join(tmpdir(), 'audit-histories-'))));
  afterAll(() => rm(base, { recursive: true, force: true }));

  it('verifies FULL and INCREMENTAL, every trail and an export after each of 8 random histories', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 2, maxLength: 8 }), async (steps) => {
        const dir = join(base, `run-${run++}`);
        const f = await started(dir);
        try {
          const history = await History.replay(f, steps);
          for (const mode of ['FULL', 'INCREMENTAL'] as const)
            expect(await verifyLog(f, mode)).toMatchObject({ valid: true, failures: [] });
          for (const { type, id } of await history.entities())
            expect({ type, id, failures: (await f.audit.verifyTrail(type, id)).failures }).toEqual({
              type,
              id,
              failures: [],
            });
          const query = f.app.get(AuditQueryService);
          for (const id of history.accounts())
            expect((await query.verifiedTrail(GLOBAL, 'Account', id)).verification.failures).toEqual([]);
          expect((await exportVerified(f, join(dir, 'export'))).failures).toEqual([]);
        } finally {
          await f.close();
        }
      }),
      { numRuns: 8, seed: 20261, ...BOUNDED },
    );
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------
// Tampering: what a superuser does to the rows
// ---------------------------------------------------------------------------------------------

/** One change to the sealed rows, as a superuser with the append-only triggers disabled makes it. */
type Tamper =
  | { kind: 'delete-event'; where: 'first' | 'middle' | 'last'; pick: number }
  /** A copy of an event at its own position (recorded_at a millisecond later) or at the log's end. */
  | { kind: 'duplicate-event'; pick: number; appended: boolean }
  | { kind: 'swap-global-seq'; a: number; b: number }
  | { kind: 'flip-hash'; column: 'hash' | 'prev_hash'; pick: number; at: number; bit: number }
  /** A bit of one character of a JSON column the event hash covers as stored. */
  | {
      kind: 'flip-json';
      column: 'before' | 'after' | 'metadata' | 'patch';
      pick: number;
      at: number;
      bit: number;
    }
  /** A chain's last events deleted, its chain head left or rolled back to what is left. */
  | { kind: 'truncate-chain'; pick: number; keep: number; rollHead: boolean }
  | { kind: 'delete-batch'; pick: number }
  /** The newest checkpoint, the one the witness holds. */
  | { kind: 'delete-checkpoint' }
  /** A bit of one character of a signed statement's text (above its signature lines). */
  | { kind: 'flip-note'; table: 'batches' | 'checkpoints'; pick: number; at: number; bit: number }
  /**
   * An event's claim to its signature: another key, an unknown key, none, or a batch before it;
   * `inside`: an event that does not end its batch, when the history has one.
   */
  | {
      kind: 'relink';
      pick: number;
      inside: boolean;
      to: 'other-key' | 'unknown-key' | 'unsigned' | 'earlier-batch';
    }
  /** A bit of the chain head an archive cut recorded (only where the history archived). */
  | { kind: 'flip-archive-head'; pick: number; at: number; bit: number };

const nat = fc.nat();
const byteFlip = { at: fc.integer({ min: 0, max: 31 }), bit: fc.integer({ min: 0, max: 7 }) };
const textFlip = { at: nat, bit: fc.integer({ min: 0, max: 6 }) };

const tampering = (archived: boolean): fc.Arbitrary<Tamper> =>
  fc.oneof(
    fc.record({
      kind: fc.constant('delete-event' as const),
      where: fc.constantFrom('first' as const, 'middle' as const, 'last' as const),
      pick: nat,
    }),
    fc.record({ kind: fc.constant('duplicate-event' as const), pick: nat, appended: fc.boolean() }),
    fc.record({ kind: fc.constant('swap-global-seq' as const), a: nat, b: nat }),
    fc.record({
      kind: fc.constant('flip-hash' as const),
      column: fc.constantFrom('hash' as const, 'prev_hash' as const),
      pick: nat,
      ...byteFlip,
    }),
    fc.record({
      kind: fc.constant('flip-json' as const),
      column: fc.constantFrom('before' as const, 'after' as const, 'metadata' as const, 'patch' as const),
      pick: nat,
      ...textFlip,
    }),
    fc.record({ kind: fc.constant('truncate-chain' as const), pick: nat, keep: nat, rollHead: fc.boolean() }),
    fc.record({ kind: fc.constant('delete-batch' as const), pick: nat }),
    fc.constant({ kind: 'delete-checkpoint' as const }),
    fc.record({
      kind: fc.constant('flip-note' as const),
      table: fc.constantFrom('batches' as const, 'checkpoints' as const),
      pick: nat,
      ...textFlip,
    }),
    fc.record({
      kind: fc.constant('relink' as const),
      pick: nat,
      inside: fc.boolean(),
      to: fc.constantFrom(
        'other-key' as const,
        'unknown-key' as const,
        'unsigned' as const,
        'earlier-batch' as const,
      ),
    }),
    ...(archived
      ? [fc.record({ kind: fc.constant('flip-archive-head' as const), pick: nat, ...byteFlip })]
      : []),
  );

/** What a tampering needs of an event row. */
interface EventRef {
  id: string;
  global_seq: string;
  entity_type: string;
  entity_id: string;
  chain_seq: string;
  key_id: string;
  batch_tree_size: string;
}

/** The tables a tampering (or a verification) writes, copied aside once and put back after each run. */
const RESTORED = [
  'events',
  'batches',
  'checkpoints',
  'chain_heads',
  'log_head',
  'head_map_nodes',
  'log_verifications',
  'archive_heads',
];

/**
 * `text` with one bit of one printable ASCII character flipped, from `at` on (modulo its length),
 * the first flip whose result passes `accept`; null when none does.
 */
function flippedText(text: string, at: number, bit: number, accept: (candidate: string) => boolean) {
  for (let k = 0; k < text.length; k++) {
    const i = (at + k) % text.length;
    const code = text.charCodeAt(i) ^ (1 << bit);
    if (text.charCodeAt(i) > 0x7e || code < 0x20 || code > 0x7e) continue;
    const candidate = text.slice(0, i) + String.fromCharCode(code) + text.slice(i + 1);
    if (accept(candidate)) return candidate;
  }
  return null;
}

/** JSON of another value: a flip that only breaks the syntax, or that JSONB stores as the same value, is no tampering. */
const otherJson = (original: string) => (candidate: string) => {
  try {
    return !isDeepStrictEqual(JSON.parse(candidate), JSON.parse(original));
  } catch {
    return false;
  }
};

const flippedBytes = (bytes: Buffer, at: number, bit: number) => {
  const copy = Buffer.from(bytes);
  copy[at % copy.length] ^= 1 << bit;
  return copy;
};

/** Applies `t` to the store's rows; returns what it did, for the failure message. */
async function applyTamper(f: FixtureApp, t: Tamper): Promise<string> {
  const sql = <T = Record<string, unknown>>(text: string, ...params: unknown[]) =>
    f.db.tamper<T>(text, params);
  const events = await f.db.query<EventRef>(
    `select id, global_seq, entity_type, entity_id, chain_seq, key_id, batch_tree_size
     from audit.events order by global_seq`,
  );
  const nth = <T>(list: T[], i: number) => list[i % list.length];
  // Statements before an archive cut left with their segment: the live log no longer rests on them.
  const [{ cut }] = await f.db.query<{ cut: number }>(
    'select coalesce(max(to_seq), 0)::int as cut from audit.archive_segments',
  );
  switch (t.kind) {
    case 'delete-event': {
      const victim =
        t.where === 'first'
          ? events[0]
          : t.where === 'last'
            ? events[events.length - 1]
            : events[1 + (t.pick % (events.length - 2))];
      await sql('delete from audit.events where id = $1', victim.id);
      return `deleted event ${victim.global_seq} (${t.where})`;
    }
    case 'duplicate-event': {
      const e = nth(events, t.pick);
      const seq = t.appended ? '(select max(global_seq) + 1 from audit.events)' : 'global_seq';
      await sql(
        `insert into audit.events select (jsonb_populate_record(e, jsonb_build_object(
           'global_seq', ${seq}, 'recorded_at', recorded_at + interval '1 millisecond'))).*
         from audit.events e where id = $1`,
        e.id,
      );
      return `duplicated event ${e.global_seq}${t.appended ? ' at the end' : ''}`;
    }
    case 'swap-global-seq': {
      const a = nth(events, t.a);
      const b = events[(events.indexOf(a) + 1 + (t.b % (events.length - 1))) % events.length];
      // Three steps: global_seq is unique (per partition), checked row by row.
      await sql('update audit.events set global_seq = 1000000 where id = $1', a.id);
      await sql('update audit.events set global_seq = $2 where id = $1', b.id, a.global_seq);
      await sql('update audit.events set global_seq = $2 where id = $1', a.id, b.global_seq);
      return `swapped global_seq ${a.global_seq} and ${b.global_seq}`;
    }
    case 'flip-hash': {
      const e = nth(events, t.pick);
      const [row] = await f.db.query<{ value: Buffer }>(
        `select ${t.column} as value from audit.events where id = $1`,
        [e.id],
      );
      await sql(
        `update audit.events set ${t.column} = $2 where id = $1`,
        e.id,
        flippedBytes(row.value, t.at, t.bit),
      );
      return `flipped bit ${t.bit} of byte ${t.at % 32} of ${t.column} of event ${e.global_seq}`;
    }
    case 'flip-json': {
      const rows = await f.db.query<{ id: string; global_seq: string; text: string }>(
        `select id, global_seq, ${t.column}::text as text from audit.events
         where ${t.column} is not null and ${t.column}::text not in ('{}', '[]') order by global_seq`,
      );
      for (let k = 0; k < rows.length; k++) {
        const e = nth(rows, t.pick + k);
        const flipped = flippedText(e.text, t.at, t.bit, otherJson(e.text));
        if (!flipped) continue;
        await sql(`update audit.events set ${t.column} = $2::jsonb where id = $1`, e.id, flipped);
        return `changed ${t.column} of event ${e.global_seq} from ${e.text} to ${flipped}`;
      }
      throw new Error(`no event has a ${t.column} to change`);
    }
    case 'truncate-chain': {
      const chains = [...new Set(events.map((e) => `${e.entity_type}\u0000${e.entity_id}`))];
      const [type, id] = nth(chains, t.pick).split('\u0000');
      const chain = events.filter((e) => e.entity_type === type && e.entity_id === id);
      const keep = Number(chain[0].chain_seq) - 1 + (t.keep % chain.length);
      await sql(
        'delete from audit.events where entity_type = $1 and entity_id = $2 and chain_seq > $3',
        type,
        id,
        keep,
      );
      if (t.rollHead)
        await sql(
          `update audit.chain_heads h set last_seq = p.chain_seq, last_hash = p.hash
           from (select chain_seq, hash from audit.events where entity_type = $1 and entity_id = $2 and chain_seq = $3
                 union all select chain_seq, hash from audit.archive_heads
                   where entity_type = $1 and entity_id = $2 and chain_seq = $3
                 union all select 0, null where $3 = 0) p
           where h.entity_type = $1 and h.entity_id = $2`,
          type,
          id,
          keep,
        );
      return `truncated ${type} ${id} after chain_seq ${keep} (of ${chain[chain.length - 1].chain_seq})${t.rollHead ? ', head rolled back' : ''}`;
    }
    case 'delete-batch': {
      const batches = await f.db.query<{ tree_size: string }>(
        'select tree_size from audit.batches where tree_size > $1 order by 1',
        [cut],
      );
      const victim = nth(batches, t.pick);
      await sql('delete from audit.batches where tree_size = $1', victim.tree_size);
      return `deleted the batch statement at ${victim.tree_size}`;
    }
    case 'delete-checkpoint': {
      const [victim] = await sql<{ id: string; tree_size: string }>(
        'delete from audit.checkpoints where id = (select max(id) from audit.checkpoints) returning id, tree_size',
      );
      return `deleted the newest checkpoint (${victim.id}, at size ${victim.tree_size})`;
    }
    case 'flip-note': {
      const key = t.table === 'batches' ? 'tree_size' : 'id';
      const rows = await f.db.query<{ key: string; note: string }>(
        `select ${key} as key, note from audit.${t.table} where tree_size >= $1 order by 1`,
        // A checkpoint at the cut is where the live log starts; a batch there ends an archived event.
        [t.table === 'batches' ? cut + 1 : cut],
      );
      const row = nth(rows, t.pick);
      const body = row.note.slice(0, row.note.indexOf('\n\n') + 1);
      const flipped = flippedText(body, t.at, t.bit, () => true)!;
      await sql(
        `update audit.${t.table} set note = $2 where ${key} = $1`,
        row.key,
        flipped + row.note.slice(body.length),
      );
      return `changed the ${t.table} note at ${row.key} to ${JSON.stringify(flipped)}`;
    }
    case 'relink': {
      const inside = events.filter((e) => e.batch_tree_size !== e.global_seq);
      const e = nth(t.inside && inside.length > 0 ? inside : events, t.pick);
      const keys = await f.db.query<{ key_id: string }>('select key_id from audit.signing_keys order by 1');
      const other = keys.find((k) => k.key_id !== e.key_id)?.key_id ?? 'ab'.repeat(4);
      const set = {
        'other-key': ['key_id = $2', other],
        'unknown-key': ['key_id = $2', 'deadbeef'],
        unsigned: ['key_id = null, batch_tree_size = null'],
        'earlier-batch': ['batch_tree_size = global_seq - 1'],
      }[t.to];
      await sql(`update audit.events set ${set[0]} where id = $1`, e.id, ...set.slice(1));
      return `relinked event ${e.global_seq} of the batch ending at ${e.batch_tree_size} (${t.to})`;
    }
    case 'flip-archive-head': {
      const heads = await f.db.query<{ entity_type: string; entity_id: string; hash: Buffer }>(
        'select entity_type, entity_id, hash from audit.archive_heads order by 1, 2',
      );
      const head = nth(heads, t.pick);
      await sql(
        'update audit.archive_heads set hash = $3 where entity_type = $1 and entity_id = $2',
        head.entity_type,
        head.entity_id,
        flippedBytes(head.hash, t.at, t.bit),
      );
      return `flipped bit ${t.bit} of byte ${t.at % 32} of the archived head of ${head.entity_type} ${head.entity_id}`;
    }
  }
}

/** Histories the tamperings start from: sealed, the newest checkpoint covering every event. */
const BASES: { name: string; steps: Op[]; archived: boolean }[] = [
  {
    name: 'from the first event',
    archived: false,
    steps: [
      // Written together, so that some batches hold several events.
      { kind: 'write', records: [0, 1, 2], parallel: true },
      { kind: 'write', records: [0, 0, 1], parallel: false },
      { kind: 'checkpoint' },
      { kind: 'rotate' },
      { kind: 'write', records: [0, 1, 2, 3], parallel: true },
      { kind: 'erase', record: 1 },
      { kind: 'checkpoint' },
    ],
  },
  {
    name: 'after an archive cut',
    archived: true,
    steps: [
      { kind: 'write', records: [0, 1, 2], parallel: true },
      { kind: 'write', records: [0, 1], parallel: false },
      { kind: 'archive' },
      { kind: 'rotate' },
      { kind: 'write', records: [0, 1, 3], parallel: true },
      { kind: 'write', records: [0], parallel: false },
      { kind: 'checkpoint' },
    ],
  },
];

/**
 * Tampering over rows: on a sealed, checkpointed history, one random change to the rows as a
 * superuser makes it. Full verification never throws and reports it with documented reasons;
 * incremental verification and every trail read never throw either; the store put back (the
 * control) verifies again.
 */
describe.each(BASES)('tampered rows are reported, never thrown: a log $name (property)', (b) => {
  let dir: string;
  let f: FixtureApp;
  let history: History;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'audit-tamper-'));
    f = await started(dir);
    history = await History.replay(f, b.steps);
    await f.db.tamper('create schema pristine');
    for (const table of RESTORED)
      await f.db.tamper(`create table pristine.${table} as select * from audit.${table}`);
  });
  afterAll(async () => {
    await f.close();
    await rm(dir, { recursive: true, force: true });
  });

  const restore = async () => {
    for (const table of RESTORED) {
      await f.db.tamper(`delete from audit.${table}`);
      await f.db.tamper(`insert into audit.${table} select * from pristine.${table}`);
    }
  };

  it('the untouched history verifies (the control every run starts from)', async () => {
    expect(await verifyLog(f, 'FULL')).toMatchObject({ valid: true, failures: [] });
    expect(await verifyLog(f, 'INCREMENTAL')).toMatchObject({ valid: true, failures: [] });
    for (const { type, id } of await history.entities())
      expect((await f.audit.verifyTrail(type, id)).failures).toEqual([]);
  });

  it('FULL reports each of 25 random tamperings with documented reasons, and never throws', async () => {
    const entities = await history.entities();
    await fc.assert(
      fc.asyncProperty(tampering(b.archived), async (t) => {
        try {
          const what = await applyTamper(f, t);
          const report = await verifyLog(f, 'FULL');
          const reasons = report.failures.map((x) => x.reason);
          expect({ what, valid: report.valid }).toEqual({ what, valid: false });
          expect(reasons.length).toBeGreaterThan(0);
          expect({ what, undocumented: reasons.filter((r) => !(r in DOCUMENTED)) }).toEqual({
            what,
            undocumented: [],
          });
          await verifyLog(f, 'INCREMENTAL');
          for (const { type, id } of entities) await f.audit.verifyTrail(type, id);
        } finally {
          await restore();
        }
        expect(await verifyLog(f, 'FULL')).toMatchObject({ valid: true, failures: [] });
      }),
      { numRuns: 25, seed: 6962, ...BOUNDED },
    );
  }, 120_000);
});

/**
 * What the properties above found, each in its smallest, deterministic form (a property's fixed
 * seed reaches it only when the timing of the sealer makes the right batches). One record's three
 * events wait in the outbox of an app without a worker, so the worker that starts next seals them
 * as one batch (one signed statement, at the last of them).
 */
describe('what the properties found (minimal reproductions)', () => {
  let dir: string;
  let writer: FixtureApp;
  let f: FixtureApp;
  let id: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'audit-found-'));
    writer = await startFixtureApp({ ...MANUAL, inProcessWorker: false });
    id = (await writer.accounts.open({ name: 'v0', email: 'v@x.test', tenantId: 'acme' })).id;
    await writer.accounts.update(id, { name: 'v1' });
    await writer.accounts.update(id, { name: 'v2' });
    f = await startFixtureApp(MANUAL, { db: writer.db, queuePrefix: writer.queuePrefix, migrate: false });
    await sealAll(f);
    // A second published key, for an event to name.
    await f.app.get(KeyRegistry).rotate();
    await checkpoint(f);
  });
  afterAll(async () => {
    await f.close();
    await writer.close();
    await rm(dir, { recursive: true, force: true });
  });

  // Found by the honest property (seed 20261, before its `erase` step named only opened records):
  // [checkpoint, checkpoint, write [0,0,3,2], archive] failed in the archive's read-back.
  // Checkpoints that share a tree size (cut on demand, or heartbeats while idle) reached a
  // bundle's proofs.ndjson in whatever order PostgreSQL sorted ties of `order by tree_size, type`,
  // and the offline verifier refused the first one that went back in time.
  it('an export verifies offline after several checkpoints at one tree size', async () => {
    for (let i = 0; i < 6; i++) await f.app.get(Checkpointer).run('NOW');
    expect(await verifyLog(f, 'FULL')).toMatchObject({ valid: true, failures: [] });
    expect((await exportVerified(f, join(dir, 'export'))).failures).toEqual([]);
  });

  // Found by the tamper property (seed 6962, the log from the first event): relink {inside,
  // other-key} was not reported. The key an event names was compared with its batch statement's
  // signer only at the batch's last event, though docs/integrity.md §12 promises BATCH_INVALID for
  // an unknown key id; reads caught an unknown key (UNKNOWN_KEY), not another published one.
  it.each([
    ['an unknown key', () => Promise.resolve('deadbeef')],
    ['another published key', async () => (await f.app.get(KeyRegistry).activeKey())!.keyId],
  ])('full verification reports an event inside a batch that names %s', async (_what, keyOf) => {
    const events = await f.db.query<{
      id: string;
      global_seq: string;
      batch_tree_size: string;
      key_id: string;
    }>(
      'select id, global_seq, batch_tree_size, key_id from audit.events where entity_id = $1 order by chain_seq',
      [id],
    );
    expect(events.map((e) => e.batch_tree_size)).toEqual(events.map(() => events[2].global_seq));
    const [first] = events;
    const named = await keyOf();
    expect(named).not.toBe(first.key_id);
    await f.db.tamper('update audit.events set key_id = $2 where id = $1', [first.id, named]);
    try {
      const report = await verifyLog(f, 'FULL');
      expect(report.failures.map((x) => x.reason)).toContain('BATCH_INVALID');
      expect((await f.audit.verifyTrail('Account', id)).valid).toBe(false);
    } finally {
      await f.db.tamper('update audit.events set key_id = $2 where id = $1', [first.id, first.key_id]);
    }
  });
});

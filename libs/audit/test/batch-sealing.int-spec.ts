import { Client } from 'pg';
import { waitFor } from '../../../test/support/wait-for';
import {
  AuditDeadLetters,
  Checkpointer,
  entityKey,
  EventSealer,
  KeyRegistry,
  headMoved,
  LogVerifier,
  parseStatementClaim,
  SIGNING_KEY_ENTITY,
} from '../src';
import { statedCheckpoint } from '../src/crypto/checkpoint';
import { PartitionUpkeep } from '../src/sealing/partition-upkeep.service';
import { startFixtureApp, type FixtureApp } from './fixtures/fixture-app';

const RECORDS = 40;
const EVENTS_PER_RECORD = 3;
const TOTAL = RECORDS * EVENTS_PER_RECORD;

/** Commits TOTAL domain events over RECORDS records, interleaved, in one transaction. */
async function commitInOneTransaction(f: FixtureApp, prefix: string): Promise<void> {
  await f.orm.em.transactional(async () => {
    for (let round = 0; round < EVENTS_PER_RECORD; round++) {
      for (let r = 0; r < RECORDS; r++) {
        await f.audit.record({ action: `STEP_${round}`, entityType: 'Ledger', entityId: `${prefix}${r}` });
      }
    }
  });
}

/** Each sealing transaction stamps its events with one `recorded_at`: events per transaction. */
async function transactionSizes(f: FixtureApp, prefix: string): Promise<number[]> {
  const rows = await f.db.query<{ n: number }>(
    `select count(*)::int as n from audit.events where entity_id like $1 group by recorded_at order by recorded_at`,
    [`${prefix}%`],
  );
  return rows.map((r) => r.n);
}

/**
 * Batch sealing: one sealing transaction takes many records' events (one log-head lock), each
 * record's events one batch, all of them under the transaction's one signed statement (format
 * v2); `sealBatchEvents` bounds a transaction; chains, statements and the log verify either way.
 */
describe('sealing in batches over many records', () => {
  let f: FixtureApp;
  afterEach(async () => f?.close());

  it('seals one transaction of 40 records in one sealing transaction, under one signed statement', async () => {
    f = await startFixtureApp({ workerConcurrency: 1 });
    // The signing key's event, written at start-up, sealed first: else it may join the records'
    // sealing transaction and move a 41st head under the statement.
    await f.sealed(0);
    await commitInOneTransaction(f, 'a');
    await f.sealed(TOTAL);

    expect(await transactionSizes(f, 'a')).toEqual([TOTAL]);
    const batches = await f.db.query<{ entity_id: string; sizes: string[]; seqs: string[] }>(
      `select entity_id, array_agg(distinct batch_tree_size::text) as sizes, array_agg(chain_seq::text order by chain_seq) as seqs
       from audit.events where entity_id like 'a%' group by entity_id`,
    );
    expect(batches).toHaveLength(RECORDS);
    for (const b of batches) {
      expect(b.sizes).toHaveLength(1);
      expect(b.seqs).toEqual(['1', '2', '3']);
    }
    const rows = await f.db.query<{
      tree_size: string;
      entity_id: string;
      head_seq: string;
      head_index: number;
      head_proof: Buffer;
      note: string;
      hash: Buffer;
    }>(
      `select b.*, e.hash from audit.batches b join audit.events e on e.global_seq = b.tree_size
       where b.entity_id like 'a%' order by b.tree_size`,
    );
    // A batch per record, one signature for all: every batch carries the same statement, which
    // signs the tree at the transaction's end and proves each record's head at its index.
    expect(rows).toHaveLength(RECORDS);
    expect(new Set(rows.map((r) => r.note)).size).toBe(1);
    const statement = statedCheckpoint(rows[0].note);
    expect(statement.size).toBe(Number(rows[RECORDS - 1].tree_size));
    const claim = parseStatementClaim(statement.extensions);
    if (claim.format !== 2) throw new Error('expected a v2 statement');
    expect(claim.moved.count).toBe(RECORDS);
    rows.forEach((r, i) => {
      expect(r.head_index).toBe(i);
      const head = { key: entityKey('Ledger', r.entity_id), chainSeq: Number(r.head_seq), hash: r.hash };
      const proof = Array.from({ length: r.head_proof.length / 32 }, (_, n) =>
        r.head_proof.subarray(32 * n, 32 * n + 32),
      );
      expect(headMoved(claim.moved, head, i, proof)).toBe(true);
    });
    for (const r of [0, 17, RECORDS - 1]) {
      expect((await f.audit.verifyTrail('Ledger', `a${r}`)).valid).toBe(true);
    }
    expect((await f.app.get(LogVerifier).verify('FULL')).valid).toBe(true);
  });

  it('takes at most sealBatchEvents events per sealing transaction, chains still in commit order', async () => {
    f = await startFixtureApp({ workerConcurrency: 2, sealBatchEvents: 10 });
    await commitInOneTransaction(f, 'b');
    await f.sealed(TOTAL);

    const sizes = await transactionSizes(f, 'b');
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(TOTAL);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(10);
    const trail = await f.trail('b5', 'Ledger');
    expect(trail.map((e) => e.action)).toEqual(['STEP_0', 'STEP_1', 'STEP_2']);
    expect((await f.app.get(LogVerifier).verify('FULL')).valid).toBe(true);
  });
});

/**
 * A job draining a backlog runs many sealing transactions; each that finds the log grown by
 * `checkpoint.everyEvents` since the last checkpoint asks for a cut at once, not when the job ends
 * (a cut over a whole backlog loads the heads-map paths of every record in it).
 */
describe('checkpoints while a job drains a backlog', () => {
  let f: FixtureApp;
  afterEach(async () => f?.close());

  it('asks for a cut from the sealing transaction that makes one due, before the job ends', async () => {
    f = await startFixtureApp({
      inProcessWorker: false,
      sealBatchEvents: 10,
      checkpoint: { intervalMs: 3_600_000, heartbeatMs: 3_600_000, everyEvents: 20 },
    });
    await f.app.get(PartitionUpkeep).ensure();
    await f.app.get(KeyRegistry).ensureActiveKey();
    await commitInOneTransaction(f, 'd');
    const checkpointer = f.app.get(Checkpointer);
    const asked: { trigger: string; sealed: number }[] = [];
    let sealed = 0;
    const trigger = jest.spyOn(checkpointer, 'trigger').mockImplementation((t) => {
      asked.push({ trigger: t, sealed });
    });
    sealed = (await f.app.get(EventSealer).sealJob([], true)).sealed;
    trigger.mockRestore();

    expect(sealed).toBeGreaterThanOrEqual(TOTAL);
    // Asked while the sweep ran (before it returned its count), by every transaction past 20
    // events: with no cut made meanwhile (the spy swallowed them), each one after the second.
    expect(asked.length).toBeGreaterThanOrEqual(TOTAL / 10 - 2);
    expect(asked.every((a) => a.trigger === 'EVENTS' && a.sealed === 0)).toBe(true);
    await checkpointer.run('EVENTS');
    expect((await f.app.get(LogVerifier).verify('FULL')).valid).toBe(true);
  });
});

/**
 * A checkpoint cut does not hold sealing up: while a cut waits (here on the heads map's root row,
 * locked by another session, as a slow heads-map update would keep it busy), events committed
 * meanwhile are sealed; the cut then completes and the log verifies.
 */
describe('a checkpoint cut and sealing at once', () => {
  let f: FixtureApp;
  afterEach(async () => f?.close());

  it('seals new events while a cut is in progress', async () => {
    f = await startFixtureApp({
      checkpoint: { intervalMs: 3_600_000, heartbeatMs: 3_600_000, everyEvents: 1_000_000 },
    });
    const checkpointer = f.app.get(Checkpointer);
    await commitInOneTransaction(f, 'c');
    await f.sealed(TOTAL);
    await checkpointer.run('NOW');

    const holder = new Client({ connectionString: f.db.url });
    await holder.connect();
    let cut: Promise<number | null> | undefined;
    try {
      await holder.query('begin');
      await holder.query(`select 1 from audit.head_map_nodes where prefix = '' for update`);
      await f.audit.record({ action: 'BEFORE_CUT', entityType: 'Ledger', entityId: 'c0' });
      await f.sealed(TOTAL + 1);
      cut = checkpointer.cut('NOW');
      await waitFor(async () => {
        const [{ n }] = await f.db.query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity
           where datname = current_database() and wait_event_type = 'Lock' and query like '%head_map_nodes%'`,
        );
        return n > 0;
      }, 'the cut waiting on the heads map');
      await f.audit.record({ action: 'DURING_CUT', entityType: 'Ledger', entityId: 'c1' });
      await f.sealed(TOTAL + 2);
    } finally {
      await holder.query('commit');
      await holder.end();
    }
    expect(await cut).toBe(TOTAL + 1 + (await keyEvents(f)));
    expect((await f.app.get(LogVerifier).verify('FULL')).valid).toBe(true);
  });
});

/**
 * The statement that inserts a transaction's events takes the log-head lock itself (its rows are
 * sent and parsed before it waits): a sealer queued behind another holder appends after what the
 * holder committed, dated no earlier than the holder's stamp.
 */
describe('a sealer queued on the log-head lock', () => {
  let f: FixtureApp;
  afterEach(async () => f?.close());

  it('waits in its insert, then appends after the head the holder committed', async () => {
    f = await startFixtureApp({ workerConcurrency: 1 });
    await f.audit.record({ action: 'FIRST', entityType: 'Ledger', entityId: 'q0' });
    await f.sealed(1);

    const holder = new Client({ connectionString: f.db.url });
    await holder.connect();
    let stamp: Date;
    try {
      await holder.query('begin');
      // The holder moves the head's stamp ahead (as the owner may): the queued sealer must date its
      // events from the head as it finds it once it holds the lock, not as it was when it began.
      const moved = await holder.query<{ updated_at: Date }>(
        `update audit.log_head set updated_at = updated_at + interval '10 minutes' returning updated_at`,
      );
      stamp = moved.rows[0].updated_at;
      await f.audit.record({ action: 'QUEUED', entityType: 'Ledger', entityId: 'q1' });
      await waitFor(async () => {
        const [{ n }] = await f.db.query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity
           where datname = current_database() and wait_event_type = 'Lock'
             and query like '%from audit.log_head for update%' and query like '%insert into audit.events%'`,
        );
        return n > 0;
      }, 'the sealer waiting for the log head in its insert');
    } finally {
      await holder.query('commit');
      await holder.end();
    }
    await f.sealed(2);

    const [queued] = await f.db.query<{ recorded_at: Date; global_seq: string; tree_size: string }>(
      `select e.recorded_at, e.global_seq, h.tree_size from audit.events e cross join audit.log_head h
       where e.entity_id = 'q1'`,
    );
    expect(queued.recorded_at.getTime()).toBeGreaterThanOrEqual(stamp.getTime());
    expect(queued.global_seq).toBe(queued.tree_size);
    expect((await f.app.get(LogVerifier).verify('FULL')).valid).toBe(true);
  });
});

/** The library's own key events in the log (sealed before the backlog's events). */
async function keyEvents(f: FixtureApp): Promise<number> {
  const [{ n }] = await f.db.query<{ n: number }>(
    `select count(*)::int as n from audit.events where entity_type = $1`,
    [SIGNING_KEY_ENTITY],
  );
  return n;
}

/**
 * A row PostgreSQL rejects (year 0: JavaScript parses it, PostgreSQL has no such year) fails a
 * whole batch without saying which event: the jobs fall back to per-record sealing, which seals
 * the other records and counts the poison event's attempts until it is parked.
 */
describe('a row PostgreSQL rejects inside a batch', () => {
  let f: FixtureApp;
  afterEach(async () => f?.close());

  it('seals the other records and parks the poison event', async () => {
    f = await startFixtureApp({
      deadLetter: { maxAttempts: 2 },
      jobBackoffMs: 20,
      relay: { intervalMs: 200, graceMs: 200 },
      // Year 0 is what PostgreSQL rejects here; the sealer's own clock check would refuse it first.
      maxEventClockSkewMs: 10 ** 15,
    });
    const id = '01890a5d-ac96-774b-bcce-b302099a8058';
    await f.db.query(
      `insert into audit.outbox (id, entity_type, entity_id, payload) values ($1, 'Ledger', 'p0', $2)`,
      [
        id,
        {
          id,
          occurredAt: '0000-01-01T00:00:00.000Z',
          actor: { type: 'USER', id: 'u', display: 'u' },
          action: 'STEP_0',
          entityType: 'Ledger',
          entityId: 'p0',
          tenantId: null,
          module: null,
          transactionCode: null,
          before: null,
          after: null,
          changes: [],
          patch: [],
          source: { ip: null, userAgent: null, requestId: null, sessionId: null },
          metadata: {},
        },
      ],
    );
    await commitInOneTransaction(f, 'q');

    const deadLetters = f.app.get(AuditDeadLetters);
    await waitFor(async () => (await deadLetters.list()).length === 1, 'the poison event parked');
    const [letter] = await deadLetters.list();
    expect(letter).toMatchObject({ eventId: id, entityId: 'p0', attempts: 2 });
    expect(letter.lastError).toContain('SQLSTATE 22');
    // The parked row stays in the outbox; every other record's events are sealed.
    await waitFor(
      async () => (await transactionSizes(f, 'q')).reduce((a, b) => a + b, 0) === TOTAL,
      'the rest sealed',
    );
    expect((await f.app.get(LogVerifier).verify('FULL')).valid).toBe(true);
  });
});

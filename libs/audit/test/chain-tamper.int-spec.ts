import { IsolationLevel } from '@mikro-orm/core';
import { merkleLeafHash, merkleRoot, type ChainFailureReason } from '../src';
import { sqlOf } from '../src/storage/sql-session';
import { entityEventPages } from '../src/storage/verification.store';
import { startFixtureApp, type FixtureApp } from './fixtures/fixture-app';
import { expectTampered as expectTamperedTrail, sealedChain, waitForChain } from './fixtures/tamper';

/**
 * Attacks by a database superuser on the hash chains, straight in SQL. Each must make the read
 * fail with AUDIT_CHAIN_TAMPERED naming the first bad position, while verifyTrail reports without
 * throwing. Attacks that also fix up the hashes are in signed-log.int-spec.ts.
 */
describe('hash chains: tampering is detected on read', () => {
  let f: FixtureApp;

  beforeAll(async () => {
    f = await startFixtureApp();
  });
  afterAll(async () => f.close());

  const chain = () => sealedChain(f);
  // Every statement as an insider with superuser rights: append-only triggers disabled.
  const sql = (text: string, ...params: unknown[]) => f.db.tamper(text, params);
  const expectTampered = (id: string, chainSeq: number, reason: ChainFailureReason) =>
    expectTamperedTrail(f, id, chainSeq, reason);

  it('seals every event with a gapless global sequence and linked hashes', async () => {
    const id = await chain();
    const events = await f.trail(id);
    expect(events.map((e) => e.chainSeq)).toEqual([1, 2, 3, 4]);
    expect(events[0].prevHash).toBe('0'.repeat(64));
    for (let i = 1; i < events.length; i++) expect(events[i].prevHash).toBe(events[i - 1].hash);
    const [{ n, max }] = await sql(
      'select count(*)::int as n, max(global_seq)::int as max from audit.events',
    );
    expect(max).toBe(n);
    const [{ tree_size, root_hash }] = await sql('select tree_size::int, root_hash from audit.log_head');
    expect(tree_size).toBe(n);
    // The log head's root is the RFC 6962 root over every event hash, in global_seq order.
    const leaves = await sql('select hash from audit.events order by global_seq');
    expect(
      (root_hash as Buffer).equals(merkleRoot(leaves.map((l) => merkleLeafHash(l.hash as Buffer)))),
    ).toBe(true);
  });

  it.each([
    [
      'a field in after',
      `update audit.events set after = jsonb_set(after, '{name}', '"forged"') where entity_id = $1 and chain_seq = 2`,
    ],
    [
      'a field in before',
      `update audit.events set before = jsonb_set(before, '{name}', '"forged"') where entity_id = $1 and chain_seq = 2`,
    ],
    ['the actor', `update audit.events set actor_id = 'someone-else' where entity_id = $1 and chain_seq = 2`],
    [
      'occurred_at',
      `update audit.events set occurred_at = occurred_at - interval '1 day' where entity_id = $1 and chain_seq = 2`,
    ],
    // Times no JavaScript Date holds: the read maps them as stored, it does not throw.
    [
      'occurred_at to infinity',
      `update audit.events set occurred_at = 'infinity' where entity_id = $1 and chain_seq = 2`,
    ],
    [
      'occurred_at to a date BC',
      `update audit.events set occurred_at = '0044-03-15 12:00:00+00 BC' where entity_id = $1 and chain_seq = 2`,
    ],
    ['a change entry', `update audit.events set changes = '[]' where entity_id = $1 and chain_seq = 2`],
    ['the tenant', `update audit.events set tenant_id = 'globex' where entity_id = $1 and chain_seq = 2`],
  ])('detects a changed %s', async (_what, statement) => {
    const id = await chain();
    await sql(statement, id);
    await expectTampered(id, 2, 'HASH_MISMATCH');
  });

  it('detects a deleted event in the middle', async () => {
    const id = await chain();
    await sql('delete from audit.events where entity_id = $1 and chain_seq = 2', id);
    await expectTampered(id, 3, 'SEQUENCE_GAP');
  });

  it('detects two events swapped', async () => {
    const id = await chain();
    // Three steps, as the unique (entity, chain_seq) constraint is checked row by row.
    await sql('update audit.events set chain_seq = 1000 where entity_id = $1 and chain_seq = 2', id);
    await sql('update audit.events set chain_seq = 2 where entity_id = $1 and chain_seq = 3', id);
    await sql('update audit.events set chain_seq = 3 where entity_id = $1 and chain_seq = 1000', id);
    await expectTampered(id, 2, 'BROKEN_LINK');
  });

  it('detects a forged event inserted in the middle', async () => {
    const id = await chain();
    // Make room at position 3 in two steps (the unique constraint is checked row by row).
    await sql(
      'update audit.events set chain_seq = chain_seq + 1000 where entity_id = $1 and chain_seq >= 3',
      id,
    );
    await sql(
      'update audit.events set chain_seq = chain_seq - 999 where entity_id = $1 and chain_seq >= 1000',
      id,
    );
    await sql(
      `insert into audit.events (id, entity_type, entity_id, chain_seq, global_seq, hash_alg, prev_hash, hash, tenant_id,
         action, actor_type, actor_id, occurred_at, changes, patch, changed_fields, source, metadata)
       select gen_random_uuid(), entity_type, entity_id, 3, 1000000, hash_alg, hash, hash, tenant_id,
         'UPDATE', 'USER', 'mallory', occurred_at, '[]', '[]', '{}', source, '{}'
       from audit.events where entity_id = $1 and chain_seq = 2`,
      id,
    );
    await expectTampered(id, 3, 'HASH_MISMATCH');
  });

  it('detects an event moved to another entity (both chains fail)', async () => {
    const from = await chain();
    const to = await chain();
    await sql(
      `update audit.events set entity_id = $2, chain_seq = 5 where entity_id = $1 and chain_seq = 4`,
      from,
      to,
    );
    await expectTampered(to, 5, 'BROKEN_LINK');
    await expectTampered(from, 4, 'HEAD_MISMATCH');
  });

  it('detects tail truncation while the chain head still records the deleted events', async () => {
    const id = await chain();
    await sql('delete from audit.events where entity_id = $1 and chain_seq >= 3', id);
    await expectTampered(id, 3, 'HEAD_MISMATCH');
  });

  it.each(['audit/v0', 'none'])('detects a downgrade of the hash algorithm to %s', async (alg) => {
    const id = await chain();
    await sql(`update audit.events set hash_alg = $2 where entity_id = $1 and chain_seq = 4`, id, alg);
    await expectTampered(id, 4, 'UNKNOWN_HASH_ALGORITHM');
  });

  describe('a trail longer than its first page (the rest read through a cursor)', () => {
    // The trail reader's first page is 250 events; past it, a cursor.
    const LENGTH = 320;
    let id: string;
    /** The chain_seqs entityEventPages returns with tiny pages, each page's length, in one transaction. */
    const paged = (firstPage: number, pageSize: number) =>
      sqlOf(f.orm.em).transaction(
        async (trx) => {
          const pages: number[][] = [];
          for await (const rows of entityEventPages(trx, 'Account', id, firstPage, pageSize))
            pages.push(rows.map((row) => Number(row.chain_seq)));
          return pages;
        },
        { isolationLevel: IsolationLevel.REPEATABLE_READ, readOnly: true },
      );

    beforeAll(async () => {
      const account = await f.accounts.open({ name: 'v0', email: 'long@x.test', tenantId: 'acme' });
      for (let i = 1; i < LENGTH; i++) await f.accounts.update(account.id, { name: `v${i}` });
      id = account.id;
      await waitForChain(f, id, LENGTH);
    });

    it('pages every event once, in chain order, over several pages of the cursor', async () => {
      const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
      expect((await paged(2, 3)).flat()).toEqual(range(1, LENGTH));
      expect((await paged(2, 3)).map((page) => page.length).slice(0, 3)).toEqual([2, 3, 3]);
      // Two cursors in one transaction, each of its own name.
      const both = await sqlOf(f.orm.em).transaction(async (trx) => {
        const seqs = async () => {
          const out: number[] = [];
          for await (const rows of entityEventPages(trx, 'Account', id, 5, 7))
            out.push(...rows.map((r) => Number(r.chain_seq)));
          return out;
        };
        return [await seqs(), await seqs()];
      });
      expect(both).toEqual([range(1, LENGTH), range(1, LENGTH)]);
      const trail = await f.trail(id);
      expect(trail.map((e) => e.chainSeq)).toEqual(range(1, LENGTH));
      expect((await f.audit.verifyTrail('Account', id)).valid).toBe(true);
    });

    it('detects an event changed, and one deleted, past the first page', async () => {
      await sql(
        `update audit.events set actor_id = 'someone-else' where entity_id = $1 and chain_seq = 300`,
        id,
      );
      await expectTampered(id, 300, 'HASH_MISMATCH');
      await sql(`delete from audit.events where entity_id = $1 and chain_seq = 270`, id);
      await expectTampered(id, 271, 'SEQUENCE_GAP');
      expect((await paged(250, 4)).flat()).toHaveLength(LENGTH - 1);
    });
  });
});

import { Checkpointer, LogVerifier } from '../src';
import type { FixtureApp } from './fixtures/fixture-app';
import { forwardedAll } from './fixtures/forwarding';
import { startLeastPrivilegeStore, type LeastPrivilegeStore } from './fixtures/least-privilege';
import { waitForChain } from './fixtures/tamper';

// The trigger's refusal; deletes and DDL are refused by the grants and ownership already.
const GUARD = /only moves forward/;
const NO_GRANT = /permission denied/;
const NOT_OWNER = /must be owner/;

/**
 * Issue #15, item 9: the worker role writes the heads (log head, chain heads, entity-heads map,
 * forwarding cursors), and the database lets it move them forward only. Each attack is replayed
 * as the worker role; sealing, checkpointing and forwarding as that role still work afterwards.
 */
describe('heads only move forward (worker role)', () => {
  let store: LeastPrivilegeStore;
  let owner: FixtureApp;
  let app: FixtureApp;
  let worker: FixtureApp;
  let accountId: string;
  const asWorker = async (sql: string, params?: unknown[]) =>
    store.as(
      store.roles.worker,
      async (client) => (await client.query(sql, params)).rows as Record<string, unknown>[],
    );
  const snapshot = async () => ({
    logHead: await owner.db.query('select * from audit.log_head'),
    chainHeads: await owner.db.query('select * from audit.chain_heads order by entity_type, entity_id'),
    nodes: await owner.db.query('select * from audit.head_map_nodes order by prefix'),
    cursors: await owner.db.query('select sink, global_seq from audit.forward_cursors order by sink'),
  });

  beforeAll(async () => {
    store = await startLeastPrivilegeStore('heads');
    ({ owner, app, worker } = store);
    const account = await app.accounts.open({ name: 'heads', email: 'h@x.test', tenantId: 't' });
    accountId = account.id;
    await app.accounts.update(accountId, { name: 'heads 2' });
    await waitForChain(owner, accountId, 2);
    // A checkpoint cut as the worker role fills the entity-heads map.
    await worker.app.get(Checkpointer).run('NOW');
    await forwardedAll(owner, 'siem');
  });
  afterAll(async () => store?.close());

  it.each([
    ['the log head to size 0 (issue #15)', 'update audit.log_head set tree_size = 0'],
    ['the log head one leaf back', 'update audit.log_head set tree_size = tree_size - 1'],
    ['the root at an unchanged size', "update audit.log_head set root_hash = sha256('forged')"],
    ['the compact range at an unchanged size', "update audit.log_head set compact_range = '[]'"],
    ['the checkpoint size back', 'update audit.log_head set checkpoint_size = 0'],
    ['the checkpoint size past the log', 'update audit.log_head set checkpoint_size = tree_size + 1'],
    ['the sealing clock back', "update audit.log_head set updated_at = updated_at - interval '1 day'"],
    ['the sealing clock into the future', "update audit.log_head set updated_at = now() + interval '1 year'"],
    ['the active key away', 'update audit.log_head set active_key_id = null'],
    ['the active key to an unknown one', "update audit.log_head set active_key_id = 'forged'"],
    ['the log head deleted', 'delete from audit.log_head', NO_GRANT],
    ['a chain head to 0', 'update audit.chain_heads set last_seq = 0'],
    ['a chain head one back', 'update audit.chain_heads set last_seq = last_seq - 1 where last_seq > 0'],
    ['a chain head rehashed in place', "update audit.chain_heads set last_hash = sha256('forged')"],
    ['a chain head renamed', "update audit.chain_heads set entity_id = entity_id || 'x'"],
    [
      'a chain head created ahead',
      "insert into audit.chain_heads (entity_type, entity_id, last_seq, last_hash) values ('Account', 'ghost', 5, sha256('x'))",
    ],
    ['a chain head deleted', 'delete from audit.chain_heads', NO_GRANT],
    [
      'a heads-map leaf one back',
      'update audit.head_map_nodes set chain_seq = chain_seq - 1 where leaf_key is not null',
    ],
    [
      'a heads-map leaf rehashed in place',
      "update audit.head_map_nodes set head_hash = sha256('forged') where leaf_key is not null",
    ],
    [
      'a heads-map leaf given to another key',
      "update audit.head_map_nodes set leaf_key = sha256('other') where leaf_key is not null",
    ],
    [
      'an internal heads-map node made a leaf',
      "update audit.head_map_nodes set leaf_key = sha256('k'), chain_seq = 9, head_hash = sha256('h') where leaf_key is null",
    ],
    ['a heads-map node deleted', 'delete from audit.head_map_nodes', NO_GRANT],
    ['a forwarding cursor back', 'update audit.forward_cursors set global_seq = 0'],
    ['a forwarding cursor past the log', 'update audit.forward_cursors set global_seq = global_seq + 1000'],
    [
      'a new forwarding cursor past the log',
      "insert into audit.forward_cursors (sink, global_seq) values ('blind', 1000000)",
    ],
    ['the guard switched off', 'alter table audit.log_head disable trigger log_head_forward_only', NOT_OWNER],
    ['the guard dropped', 'drop trigger chain_heads_forward_only on audit.chain_heads', NOT_OWNER],
  ] as [string, string, RegExp?][])('refuses the worker role: %s', async (_what, sql, refusal = GUARD) => {
    const before = await snapshot();
    // NOTE: an update that matches no row would "succeed"; every attack here has rows to hit.
    expect(before.nodes.some((n) => n.leaf_key === null)).toBe(true);
    await expect(asWorker(sql)).rejects.toThrow(refusal);
    expect(await snapshot()).toEqual(before);
  });

  it('still seals, checkpoints, forwards and verifies as the worker role after the attacks', async () => {
    await app.accounts.update(accountId, { name: 'heads 3' });
    await waitForChain(owner, accountId, 3);
    await worker.app.get(Checkpointer).run('NOW');
    const size = await forwardedAll(owner, 'siem');
    expect(size).toBeGreaterThan(2);
    expect((await app.audit.verifyTrail('Account', accountId)).valid).toBe(true);
    const report = await worker.app.get(LogVerifier).verify('FULL');
    expect(report.failures).toEqual([]);
    expect(report.valid).toBe(true);
  });

  it('lets the owner reset a forwarding cursor (to replay a sink), which the worker role may not', async () => {
    await expect(asWorker('update audit.forward_cursors set global_seq = 0')).rejects.toThrow(GUARD);
    await owner.db.query("update audit.forward_cursors set global_seq = 0 where sink = 'siem'");
    const [cursor] = await owner.db.query<{ global_seq: string }>(
      "select global_seq from audit.forward_cursors where sink = 'siem'",
    );
    expect(cursor.global_seq).toBe('0');
    // The worker moves it forward again from there.
    await forwardedAll(owner, 'siem');
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../../test/support/wait-for';
import {
  ARCHIVE_ENTITY,
  AuditArchiver,
  AuditQueryService,
  Checkpointer,
  DirectoryArchiveSink,
  DirectoryWitness,
  LogVerifier,
  RetentionPolicy,
  verifyBundle,
  type AuditModuleOptions,
} from '../src';
import { archiveReportLines } from '../src/cli/commands/archive-report';
import { startFixtureApp, type FixtureApp } from './fixtures/fixture-app';
import { waitForChain } from './fixtures/tamper';

const MANUAL: AuditModuleOptions = {
  checkpoint: { intervalMs: 3_600_000, heartbeatMs: 3_600_000, everyEvents: 1_000_000 },
};
const startOfMonth = (d = new Date()) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
const monthName = (d: Date) => `events_${d.getUTCFullYear()}_${String(d.getUTCMonth() + 1).padStart(2, '0')}`;

/**
 * Archival: a closed month leaves the live store for a verified segment; the store still verifies
 * from the cut, and chains that cross it still link. The past month is made by moving the first
 * events' recorded_at back (as superuser): recorded_at is not hashed, and the log order is kept.
 */
describe('archival and retention', () => {
  let f: FixtureApp;
  let archiveDir: string;
  let spanning: string;
  let oldOnly: string;
  let cutSeq: number;
  const pastMonth = new Date(Date.now() - 62 * 86_400_000);

  const archiver = () => f.app.get(AuditArchiver);
  const policy = () => f.app.get(RetentionPolicy);

  beforeAll(async () => {
    archiveDir = await mkdtemp(join(tmpdir(), 'audit-archive-'));
    f = await startFixtureApp({ ...MANUAL, archiveSink: new DirectoryArchiveSink(archiveDir) });
    spanning = (await f.accounts.open({ name: 'a0', email: 'a@x.test', tenantId: 'acme' })).id;
    oldOnly = (await f.accounts.open({ name: 'b0', email: 'b@x.test', tenantId: 'globex' })).id;
    await f.accounts.update(spanning, { name: 'a1' });
    await Promise.all([waitForChain(f, spanning, 2), waitForChain(f, oldOnly, 1)]);
    await waitFor(
      async () => (await f.db.query('select 1 from audit.outbox')).length === 0,
      'an empty outbox',
    );
    [{ cutSeq }] = await f.db.query<{ cutSeq: number }>(
      'select max(global_seq)::int as "cutSeq" from audit.events',
    );
    await f.db.tamper("select audit.create_event_partition(date_trunc('month', now() - interval '62 days'))");
    await f.db.tamper(
      "update audit.events set recorded_at = recorded_at - interval '62 days' where global_seq <= $1",
      [cutSeq],
    );
    await f.accounts.update(spanning, { name: 'a2' });
    await waitForChain(f, spanning, 3);
    await f.app.get(Checkpointer).run('NOW');
  });
  afterAll(async () => {
    await f.close();
    await rm(archiveDir, { recursive: true, force: true });
  });

  it('archives nothing that no rule covers, nor what a legal hold covers', async () => {
    const before = startOfMonth();
    const none = await archiver().archive(before);
    expect(none.archived).toEqual([]);
    expect(none.refused).toMatchObject({ partition: monthName(pastMonth), allowed: false });
    expect(none.refused!.blockers.join()).toContain('no retention rule covers');

    await policy().setRule({ archiveAfterDays: 0, reason: 'test policy: archive closed months' });
    const hold = await policy().placeHold({ tenantId: 'globex', reason: 'litigation 42' });
    const held = await archiver().archive(before);
    expect(held.archived).toEqual([]);
    expect(held.refused!.blockers.join()).toContain(`legal hold ${hold.id} (litigation 42)`);
    await policy().releaseHold(hold.id, 'case closed');

    const long = await policy().setRule({
      tenantId: 'acme',
      archiveAfterDays: 3650,
      reason: 'acme keeps 10 years',
    });
    expect((await archiver().archive(before)).refused!.blockers.join()).toContain(`rule ${long.id} keeps`);
    await policy().setRule({ tenantId: 'acme', archiveAfterDays: 0, reason: 'acme back to default' });
    expect(await f.db.query('select 1 from audit.events where global_seq <= $1', [cutSeq])).toHaveLength(
      cutSeq,
    );
  });

  it('a dry run lists a month the log state keeps as kept, never also as allowed', async () => {
    // A forwarding sink behind the month: the policy releases it, the log state does not.
    await f.db.tamper("insert into audit.forward_cursors (sink, global_seq) values ('siem', 0)");
    try {
      const dry = await archiver().archive(startOfMonth(), { dryRun: true });
      expect(dry.refused).toMatchObject({ partition: monthName(pastMonth), allowed: false });
      expect(dry.refused!.blockers.join()).toContain('forwarding sink "siem" has sent only up to 0');
      expect(dry.planned.filter((d) => d.allowed)).toEqual([]);
      expect(dry.planned.find((d) => d.partition === monthName(pastMonth))).toEqual(dry.refused);
      expect(archiveReportLines(dry).join('\n')).not.toContain('would archive');
    } finally {
      await f.db.tamper("delete from audit.forward_cursors where sink = 'siem'");
    }
    const clear = await archiver().archive(startOfMonth(), { dryRun: true });
    expect(clear.refused).toBeNull();
    expect(clear.planned).toEqual([
      expect.objectContaining({ partition: monthName(pastMonth), allowed: true }),
    ]);
    expect(archiveReportLines(clear)).toContain(
      `would archive ${monthName(pastMonth)} (${pastMonth.toISOString().slice(0, 7)}): ${cutSeq} events`,
    );
  });

  it('writes a verified segment, drops the month, and the live store verifies from the cut', async () => {
    const report = await archiver().archive(startOfMonth());
    expect(report.refused).toBeNull();
    expect(report.archived).toEqual([
      expect.objectContaining({ partition: monthName(pastMonth), fromSeq: 1, toSeq: cutSeq, events: cutSeq }),
    ]);
    expect(await f.db.query('select 1 from audit.events where global_seq <= $1', [cutSeq])).toHaveLength(0);
    const parts = await f.db.query<{ name: string }>(
      `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'audit.events'::regclass`,
    );
    expect(parts.map((p) => p.name)).not.toContain(monthName(pastMonth));

    const trusted = await new DirectoryWitness(f.db.witnessDir).keys();
    const segment = await verifyBundle(new DirectoryArchiveSink(archiveDir).segment(monthName(pastMonth)), {
      trustedKeys: trusted,
    });
    expect(segment.failures).toEqual([]);
    expect(segment).toMatchObject({ kind: 'archive', treeSize: cutSeq, checkedEvents: cutSeq });

    // The archival itself is an audit event, sealed after the cut.
    await waitFor(
      async () =>
        (await f.db.query('select 1 from audit.events where entity_type = $1', [ARCHIVE_ENTITY])).length ===
        1,
      'the ARCHIVE event',
    );
    await f.app.get(Checkpointer).run('NOW');
    const full = await f.app.get(LogVerifier).verify('FULL');
    expect(full.failures).toEqual([]);
    expect(full).toMatchObject({ valid: true, fromSize: cutSeq });
    expect((await f.app.get(LogVerifier).verify('INCREMENTAL')).valid).toBe(true);

    // A chain that crosses the cut still links to its archived head; an archived-only one still verifies.
    const live = await f.audit.trail('Account', spanning);
    expect(live.map((e) => e.chainSeq)).toEqual([3]);
    expect((await f.audit.verifyTrail('Account', oldOnly)).valid).toBe(true);
    const query = f.app.get(AuditQueryService);
    const scope = { tenantId: null };
    expect(await query.entityAt(scope, 'Account', spanning, new Date())).toMatchObject({ name: 'a2' });
    await expect(
      query.entityAt(scope, 'Account', spanning, new Date(Date.now() - 30 * 86_400_000)),
    ).rejects.toMatchObject({
      code: 'AUDIT_ARCHIVED',
    });
  });

  it('a record archived whole reads AUDIT_ARCHIVED, and its next event verifies before the next checkpoint', async () => {
    const query = f.app.get(AuditQueryService);
    const scope = { tenantId: null };
    await expect(query.entityAt(scope, 'Account', oldOnly, new Date())).rejects.toMatchObject({
      code: 'AUDIT_ARCHIVED',
    });
    await f.accounts.update(oldOnly, { name: 'b1' });
    await waitForChain(f, oldOnly, 1);
    // The latest checkpoint still commits to the archived head (chain_seq 1); the live event is 2.
    const verified = await f.audit.verifyTrail('Account', oldOnly);
    expect(verified.failures).toEqual([]);
    expect(verified.valid).toBe(true);
    expect(await query.entityAt(scope, 'Account', oldOnly, new Date())).toMatchObject({ name: 'b1' });
  });

  it('reports a tampered archive cut instead of trusting it', async () => {
    await f.db.tamper('update audit.archive_heads set hash = $1 where entity_id = $2', [
      Buffer.alloc(32, 7),
      spanning,
    ]);
    const full = await f.app.get(LogVerifier).verify('FULL');
    expect(full.valid).toBe(false);
    expect(full.failures.map((x) => x.reason)).toContain('CHAIN_INVALID');
    expect((await f.audit.verifyTrail('Account', spanning)).valid).toBe(false);
  });
});

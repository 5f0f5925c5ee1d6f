import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Checkpointer } from 'audit-ledger';
import { runCli, runCliJson } from './support/cli-process';
import { startExampleApp, type ExampleApp } from './support/example-app';
import { waitFor } from './support/wait-for';

const UPDATE = 'mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id } }';
const TRAIL = `query($id: ID!) { auditTrail(entityType: "User", entityId: $id) {
  edges { node { chainSeq action after changes { field before after } } } verification { valid } } }`;
const ALL = ['--from', '2000-01-01', '--to', '2100-01-01'];
const startOfMonth = () => {
  const d = new Date();
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)).toISOString();
};

/**
 * The operator commands against the example app's data, run as the built CLI: export and offline
 * verification (and a tampered byte), erasure of a data subject, and archival under a retention
 * policy with a legal hold. In this order: archival moves the first events out last.
 */
describe('audit-ledger operations: export, offline verify, erase-subject, retention and archive', () => {
  let e: ExampleApp;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  let token: string;
  let bob: string;
  const cli = (args: string[]) => runCli(args, env);
  const cliJson = <T = any>(args: string[]) => runCliJson<T>(args, env);
  const keysFile = () => join(e.db.witnessDir, 'keys.json');
  const bobTrail = async () => (await e.gql(TRAIL, { id: bob }, { token })).data.auditTrail;

  beforeAll(async () => {
    e = await startExampleApp();
    dir = await mkdtemp(join(tmpdir(), 'audit-cli-ops-'));
    env = {
      ...process.env,
      ...e.env,
      AUDIT_OPERATOR: 'e2e-operator',
      AUDIT_ARCHIVE_DIR: join(dir, 'archive'),
    };
    token = await e.login('alice');
    const { data } = await e.gql('{ users { id username } }', {}, { token });
    bob = (data.users as { id: string; username: string }[]).find((u) => u.username === 'bob')!.id;
    await e.gql(UPDATE, { id: bob, input: { email: 'bob.private@x.test' } }, { token });
    await waitFor(async () => (await e.count('outbox')) === 0, 'sealed events');
    await e.app.get(Checkpointer).run('NOW');
  });
  afterAll(async () => {
    await e?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('exports the store and verifies the bundle offline with the witness keys only', async () => {
    const out = join(dir, 'export');
    const exported = await cliJson(['export', ...ALL, '--out', out]);
    expect(exported.code).toBe(0);
    expect(exported.doc.manifest.events.count).toBeGreaterThan(5);
    const csv = await cliJson([
      'export',
      ...ALL,
      '--tenant',
      'globex',
      '--format',
      'csv',
      '--gzip',
      '--out',
      join(dir, 'globex'),
    ]);
    expect(csv.code).toBe(0);

    // No database: a wrong URL does not matter offline.
    const offline = { ...env, DATABASE_URL: 'postgres://x@127.0.0.1:1/x' };
    for (const bundle of [out, join(dir, 'globex')]) {
      const verified = await runCliJson(['verify', '--bundle', bundle, '--keys', keysFile()], offline);
      expect(verified.code).toBe(0);
      expect(verified.doc).toMatchObject({ valid: true, keysFromBundle: false });
    }
    const human = await runCli(['verify', '--bundle', out, '--keys', keysFile()], offline);
    expect(human.stdout).toContain('Bundle verification (offline): OK');
    // The export itself is audited.
    await waitFor(
      async () => (await e.db.query("select 1 from audit.events where action = 'EXPORT'")).length === 2,
      'two sealed EXPORT events',
    );
  });

  it('fails offline verification when one byte of an exported file changes, naming the file and the event', async () => {
    const out = join(dir, 'tampered');
    expect((await cli(['export', ...ALL, '--out', out])).code).toBe(0);
    const path = join(out, 'events.ndjson');
    const text = await readFile(path, 'utf8');
    const at = text.indexOf('"action":"UPDATE"');
    await writeFile(path, `${text.slice(0, at + 10)}X${text.slice(at + 11)}`); // UPDATE -> XPDATE
    const seq = JSON.parse(text.slice(text.lastIndexOf('\n', at) + 1, text.indexOf('\n', at))).event.sequence;

    const run = await cliJson(['verify', '--bundle', out, '--keys', keysFile()]);
    expect(run.code).toBe(1);
    const failures = run.doc.bundles[0].failures as { reason: string; file: string; globalSeq: number }[];
    expect(failures).toContainEqual(
      expect.objectContaining({ reason: 'FILE_MODIFIED', file: 'events.ndjson' }),
    );
    expect(failures).toContainEqual(
      expect.objectContaining({ reason: 'EVENT_INVALID', file: 'events.ndjson', globalSeq: seq }),
    );
    expect(run.stderr).toContain('verification failed: FILE_MODIFIED in events.ndjson');
  });

  it('erases a subject: their personal values unreadable, every chain and the log still valid', async () => {
    const before = await bobTrail();
    expect(JSON.stringify(before)).toContain('bob.private@x.test');
    const [raw] = await e.db.query<{ text: string }>(
      "select string_agg(after::text, ' ') as text from audit.events where entity_type = 'User' and entity_id = $1",
      [bob],
    );
    expect(raw.text).not.toContain('bob.private@x.test');

    const erased = await cliJson(['erase-subject', bob, '--reason', 'GDPR request 17']);
    expect(erased.code).toBe(0);
    expect(erased.doc).toMatchObject({ subjectId: bob, alreadyErased: false, keyDestroyed: true });
    const after = await bobTrail();
    expect(after.verification.valid).toBe(true);
    expect(JSON.stringify(after)).not.toContain('bob.private@x.test');
    expect(JSON.stringify(after)).toContain('[ERASED]');
    expect((await cliJson(['erase-subject', bob, '--reason', 'again'])).doc.alreadyErased).toBe(true);

    await waitFor(
      async () => (await e.db.query("select 1 from audit.events where action = 'ERASE'")).length === 1,
      'the sealed ERASE event',
    );
    await e.app.get(Checkpointer).run('NOW');
    expect((await cli(['verify'])).code).toBe(0);
  });

  it('archives a closed month only under a policy and no hold; the segment and the live store both verify', async () => {
    // The first events become last month's (as superuser: recorded_at is not hashed; log order kept).
    const [{ cut }] = await e.db.query<{ cut: number }>(
      'select max(global_seq)::int as cut from audit.events',
    );
    await e.db.tamper("select audit.create_event_partition(date_trunc('month', now() - interval '62 days'))");
    await e.db.tamper(
      "update audit.events set recorded_at = recorded_at - interval '62 days' where global_seq <= $1",
      [cut],
    );
    await e.app.get(Checkpointer).run('NOW');
    const before = ['archive', '--before', startOfMonth()];

    const noRule = await cliJson(before);
    expect(noRule.code).toBe(3);
    expect(noRule.doc.refused.blockers.join()).toContain('no retention rule covers');
    expect(
      (await cli(['retention', 'set', '--archive-after', '0', '--reason', 'e2e: archive closed months']))
        .code,
    ).toBe(0);
    const hold = await cliJson(['retention', 'hold', '--tenant', 'globex', '--reason', 'litigation 42']);
    expect(hold.code).toBe(0);
    const applied = await cliJson(['retention', 'apply']);
    expect(applied.code).toBe(0);
    expect(applied.doc.archived).toEqual([]);
    expect(applied.doc.refused.blockers.join()).toContain(`legal hold ${hold.doc.id} (litigation 42)`);
    expect((await cli(['retention', 'release', hold.doc.id, '--reason', 'case closed'])).code).toBe(0);

    const archived = await cliJson(before);
    expect(archived.code).toBe(0);
    expect(archived.doc.archived).toEqual([expect.objectContaining({ fromSeq: 1, toSeq: cut, events: cut })]);
    expect(await e.db.query('select 1 from audit.events where global_seq <= $1', [cut])).toHaveLength(0);

    const segments = await cliJson(['verify', '--bundle', join(dir, 'archive'), '--keys', keysFile()]);
    expect(segments.code).toBe(0);
    expect(segments.doc.bundles).toEqual([
      expect.objectContaining({ kind: 'archive', treeSize: cut, valid: true }),
    ]);
    await waitFor(
      async () => (await e.db.query("select 1 from audit.events where action = 'ARCHIVE'")).length === 1,
      'the sealed ARCHIVE event',
    );
    await e.app.get(Checkpointer).run('NOW');
    const live = await cliJson(['verify']);
    expect(live.code).toBe(0);
    expect(live.doc).toMatchObject({ valid: true, fromSize: cut });
    expect((await bobTrail()).verification.valid).toBe(true);
  });
});

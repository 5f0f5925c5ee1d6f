import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Checkpointer } from 'audit-ledger';
import { runCli, runCliJson } from './support/cli-process';
import { startExampleApp, type ExampleApp } from './support/example-app';
import { waitFor } from './support/wait-for';

const OPERATOR = 'e2e-operator';
const UPDATE = 'mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id } }';

interface KeyRow {
  keyId: string;
  status: string;
  active: boolean;
  notAfter: string | null;
  compromisedAt: string | null;
  verifierKey: string;
  witnessStatus: string | null;
}

describe('audit-ledger CLI (the built dist/ entry point, run as a child process)', () => {
  let e: ExampleApp;
  let env: NodeJS.ProcessEnv;

  /** `audit-ledger <args>` against the example app's database, key directory and witness. */
  const cli = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => runCli(args, { ...env, ...extraEnv });
  const cliJson = <T = any>(args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
    runCliJson<T>(args, { ...env, ...extraEnv });

  const keys = async () => (await cliJson<{ keys: KeyRow[] }>(['keys', 'list'])).doc.keys;
  const witnessKeys = async () =>
    JSON.parse(await readFile(join(e.db.witnessDir, 'keys.json'), 'utf8')) as {
      keyId: string;
      status: string;
    }[];
  const treeSize = async () =>
    (await e.db.query<{ n: number }>('select tree_size::int as n from audit.log_head'))[0].n;
  const sealedKeyEvent = (action: string, keyId: string) =>
    waitFor(
      async () =>
        (
          await e.db.query<{ actor_type: string; actor_id: string; actor_display: string; metadata: any }>(
            "select * from audit.events where action = $1 and metadata->>'keyId' = $2",
            [action, keyId],
          )
        )[0],
      `a sealed ${action} event of key ${keyId}`,
    );

  beforeAll(async () => {
    e = await startExampleApp();
    env = { ...process.env, ...e.env, AUDIT_OPERATOR: OPERATOR };
    const token = await e.login('alice');
    const { data } = await e.gql('{ users { id username } }', {}, { token });
    for (const [i, user] of (data.users as { id: string }[]).slice(0, 3).entries()) {
      await e.gql(UPDATE, { id: user.id, input: { email: `cli${i}@x.test` } }, { token });
    }
    await waitFor(
      async () => (await e.count('outbox')) === 0 && (await e.count('events')) >= 10,
      'sealed events',
    );
    await e.app.get(Checkpointer).run('NOW');
  });
  afterAll(async () => {
    await e?.close();
  });

  it('--help lists the commands, the exit codes and the global --json, on every command; exit 0', async () => {
    const root = await cli(['--help']);
    expect(root.code).toBe(0);
    for (const text of ['verify', 'keys', 'checkpoint', '--json', 'Exit codes:', 'AUDIT_DATABASE_URL'])
      expect(root.stdout).toContain(text);
    const sub = await cli(['keys', 'compromised', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('--since <time>');
    expect(sub.stdout).toContain('--json');
    // No database is needed, none is asked: a wrong URL does not matter.
    expect(
      (await cli(['checkpoint', 'publish', '--help'], { DATABASE_URL: 'postgres://x@127.0.0.1:1/x' })).code,
    ).toBe(0);
  });

  it("bad arguments exit 2 with a one-line reason (commander's errors and the commands' own checks)", async () => {
    const unknown = await cli(['verify', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--bogus'");

    const badKey = await cli(['keys', 'compromised', 'not-a-key', '--since', '2020-01-01T00:00:00Z']);
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toContain('"not-a-key" is not a key id');

    const badDate = await cliJson(['keys', 'compromised', '0123abcd', '--since', 'yesterday']);
    expect(badDate.code).toBe(2);
    expect(badDate.doc).toEqual({
      ok: false,
      error: { exitCode: 2, code: 'AUDIT_CLI_USAGE', message: '--since "yesterday" is not an ISO 8601 time' },
    });

    const noKey = await cli(['keys', 'retire', '0123abcd']);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('the store has no key 0123abcd');
  });

  it('an unreachable database exits 4, naming the URL without its password', async () => {
    const run = await cli(['verify'], { DATABASE_URL: 'postgres://postgres:s3cret@127.0.0.1:1/audit' });
    expect(run.code).toBe(4);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(
      'the audit store at postgres://postgres:***@127.0.0.1:1/audit is not usable',
    );
    expect(run.stderr).toContain('ECONNREFUSED');
    expect(run.stderr).not.toContain('s3cret');
  });

  it('verify passes on the intact store: exit 0, a summary, and with --json the report', async () => {
    const human = await cli(['verify']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^Log verification \(FULL\): OK\n {2}tree size +\d+ events/);

    const size = await treeSize();
    const { code, doc } = await cliJson(['verify']);
    expect(code).toBe(0);
    expect(doc).toMatchObject({
      valid: true,
      mode: 'FULL',
      treeSize: size,
      checkedEvents: size,
      failures: [],
      firstBad: null,
    });
    expect(doc.witnessedSize).toBeGreaterThan(0);
    expect(doc.checkedCheckpoints).toBeGreaterThan(0);
    expect(typeof doc.durationMs).toBe('number');
  });

  it('verify fails with exit 1 after a row is tampered, naming the reason and the first bad event', async () => {
    const [row] = await e.db.query<{ id: string; global_seq: number; after: object }>(
      `select id, global_seq::int, after from audit.events
       where entity_type = 'User' and after is not null order by global_seq desc limit 1`,
    );
    await e.db.tamper(
      `update audit.events set after = jsonb_set(after, '{email}', '"evil@x.test"') where id = $1`,
      [row.id],
    );
    try {
      const { code, doc, stderr } = await cliJson(['verify']);
      expect(code).toBe(1);
      expect(doc.valid).toBe(false);
      expect(doc.firstBad).toMatchObject({
        reason: 'CHAIN_INVALID',
        globalSeq: row.global_seq,
        eventId: row.id,
      });
      expect(doc.firstBad.detail).toContain('HASH_MISMATCH');
      expect(stderr).toContain(`verification failed: CHAIN_INVALID at global_seq ${row.global_seq}`);

      const human = await cli(['verify']);
      expect(human.code).toBe(1);
      expect(human.stdout).toContain('Log verification (FULL): FAILED');
      expect(human.stdout).toContain(`first bad event      global_seq ${row.global_seq} (event ${row.id})`);
    } finally {
      await e.db.tamper('update audit.events set after = $2 where id = $1', [
        row.id,
        JSON.stringify(row.after),
      ]);
    }
    expect((await cli(['verify'])).code).toBe(0);
  });

  it('keys list --json: the stored keys, exactly one active, as the witness published them', async () => {
    const list = await keys();
    expect(list.length).toBeGreaterThan(0);
    const active = list.filter((k) => k.active);
    expect(active).toHaveLength(1);
    expect(active[0].status).toBe('ACTIVE');
    for (const k of list) {
      expect(k.witnessStatus).toBe(k.status);
      expect(k.verifierKey).toMatch(new RegExp(`^audit-ledger/log\\+${k.keyId}\\+`));
    }
    const human = await cli(['keys', 'list']);
    expect(human.stdout).toMatch(new RegExp(`^\\*\\s+${active[0].keyId}\\s+default\\s+ACTIVE`, 'm'));
  });

  it('keys rotate: a new active key, the old one retired, published, and a sealed KEY_ROTATED event by the operator', async () => {
    const before = (await keys()).find((k) => k.active)!;
    const { code, doc } = await cliJson(['keys', 'rotate', '--reason', 'quarterly rotation']);
    expect(code).toBe(0);
    expect(doc.retiredKeyId).toBe(before.keyId);
    expect(doc.active.keyId).not.toBe(before.keyId);

    const after = await keys();
    expect(after.find((k) => k.active)!.keyId).toBe(doc.active.keyId);
    expect(after.find((k) => k.keyId === before.keyId)).toMatchObject({ status: 'RETIRED', active: false });
    expect(after.find((k) => k.keyId === before.keyId)!.notAfter).not.toBeNull();
    expect(await witnessKeys()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ keyId: before.keyId, status: 'RETIRED' }),
        expect.objectContaining({ keyId: doc.active.keyId, status: 'ACTIVE' }),
      ]),
    );

    const event = await sealedKeyEvent('KEY_ROTATED', doc.active.keyId);
    expect(event).toMatchObject({
      actor_type: 'SYSTEM',
      actor_id: `operator:${OPERATOR}`,
      actor_display: OPERATOR,
    });
    expect(event.metadata).toMatchObject({
      reason: 'ON_DEMAND',
      previousKeyId: before.keyId,
      operator: OPERATOR,
      operatorReason: 'quarterly rotation',
      command: "audit-ledger --json keys rotate --reason 'quarterly rotation'",
    });
    // The running worker sealed it with the new key: the whole log still verifies.
    expect((await cli(['verify'])).code).toBe(0);
  });

  it('keys retire: retiring the active key rotates; a key that is not active is refused (exit 3)', async () => {
    const active = (await keys()).find((k) => k.active)!;
    const { code, doc } = await cliJson(['keys', 'retire', active.keyId]);
    expect(code).toBe(0);
    expect(doc.retiredKeyId).toBe(active.keyId);
    expect((await keys()).find((k) => k.keyId === active.keyId)).toMatchObject({
      status: 'RETIRED',
      active: false,
    });
    await sealedKeyEvent('KEY_ROTATED', doc.active.keyId);

    const refused = await cli(['keys', 'retire', active.keyId]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`key ${active.keyId} is RETIRED, not the active key`);
  });

  it('checkpoint publish: the witness holds the latest checkpoint (--cut signs a fresh one first)', async () => {
    const cut = await cliJson(['checkpoint', 'publish', '--cut']);
    expect(cut.code).toBe(0);
    const [latest] = await e.db.query<{ note: string; tree_size: number }>(
      'select note, tree_size::int from audit.checkpoints order by tree_size desc, checkpoint_time desc, id desc limit 1',
    );
    expect(cut.doc).toMatchObject({
      cut: true,
      alreadyHeld: false,
      checkpoint: { treeSize: latest.tree_size },
      witness: { treeSize: latest.tree_size, holdsLatest: true },
    });
    expect(latest.tree_size).toBe(await treeSize());
    expect(await readFile(join(e.db.witnessDir, 'checkpoint'), 'utf8')).toBe(latest.note);

    const again = await cli(['checkpoint', 'publish']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(
      `The witness already holds the latest checkpoint (size ${latest.tree_size})`,
    );
  });

  // Last: a key compromised from now on voids what it signs from then on.
  it('keys compromised: the active key is rotated away first, then marked; published and audited', async () => {
    const active = (await keys()).find((k) => k.active)!;
    const since = new Date().toISOString();
    const { code, doc } = await cliJson([
      'keys',
      'compromised',
      active.keyId,
      '--since',
      since,
      '--reason',
      'leaked',
    ]);
    expect(code).toBe(0);
    expect(doc.rotated).toBe(true);
    expect(doc.compromised).toMatchObject({
      keyId: active.keyId,
      status: 'COMPROMISED',
      compromisedAt: since,
    });
    expect(doc.active.keyId).not.toBe(active.keyId);
    expect(await witnessKeys()).toEqual(
      expect.arrayContaining([expect.objectContaining({ keyId: active.keyId, status: 'COMPROMISED' })]),
    );
    const event = await sealedKeyEvent('KEY_COMPROMISED', active.keyId);
    expect(event.actor_display).toBe(OPERATOR);
    expect(event.metadata).toMatchObject({ compromisedAt: since, operatorReason: 'leaked' });

    const twice = await cli(['keys', 'compromised', active.keyId, '--since', since]);
    expect(twice.code).toBe(3);
    expect(twice.stderr).toContain(`key ${active.keyId} is already compromised`);
  });

  // Last: the store stays cut (the app's database is dropped after the file).
  it('verify names a middle deletion, a tail cut and a rollback with their reasons: exit 1, never a crash', async () => {
    // The witness covers the whole log first, so the cut tail is also a rollback behind it.
    expect((await cliJson(['checkpoint', 'publish', '--cut'])).code).toBe(0);
    const last = await treeSize();
    const middle = Math.floor(last / 2);
    await e.db.tamper('delete from audit.events where global_seq in ($1, $2) or global_seq > $3', [
      middle,
      middle + 1,
      last - 2,
    ]);
    const { code, doc, stderr } = await cliJson(['verify']);
    expect(code).toBe(1);
    expect(doc.valid).toBe(false);
    const reasons = (doc.failures as { reason: string; globalSeq: number | null }[]).map((f) => f.reason);
    expect(reasons).toEqual(expect.arrayContaining(['GLOBAL_SEQUENCE_GAP', 'ROLLED_BACK', 'HEAD_MISMATCH']));
    expect(doc.failures).toContainEqual(
      expect.objectContaining({ reason: 'GLOBAL_SEQUENCE_GAP', globalSeq: middle }),
    );
    expect(stderr).not.toMatch(/TypeError|RangeError|\n\s+at /);
    const human = await cli(['verify']);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('Log verification (FULL): FAILED');
  });
});

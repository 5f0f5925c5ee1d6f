import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runNode, type CliRun } from './support/cli-process';
import { waitFor } from './support/wait-for';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { clearQueuePrefix, TEST_REDIS_URL, uniqueQueuePrefix } from './support/test-redis';

/** The built demo (run `npm run build` first). */
const DEMO_MAIN = join(__dirname, '..', 'dist', 'src', 'demo', 'run-demo.js');

/** What the demo prints last: the read that refuses the trail the superuser edited. */
const LAST_LINE = /GET \/users\/:id\/audit -> .*AUDIT_CHAIN_TAMPERED/;

/** `npm run demo`'s process in `cwd`, with the shell's environment plus `env` (undefined unsets). */
function runDemo(cwd: string, env: Record<string, string | undefined>): Promise<CliRun> {
  const merged: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete merged[name];
  return runNode([DEMO_MAIN], { env: merged, cwd, timeoutMs: 50_000 });
}

/**
 * `npm run demo` as a newcomer runs it, in a directory of its own: it plays to the end, writes
 * nothing but `.demo-data/` there, and ignores the key, witness, archive and forwarding settings
 * of the shell (a real deployment's), which it must neither use nor write to.
 */
describe('npm run demo (dist/src/demo/run-demo.js, as a child process)', () => {
  const prefix = uniqueQueuePrefix();
  const dirs: string[] = [];
  let foreign: string;

  const workDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'audit-demo-'));
    dirs.push(dir);
    return dir;
  };
  const shellSettings = () => ({
    REDIS_URL: TEST_REDIS_URL,
    AUDIT_QUEUE_PREFIX: prefix,
    AUDIT_KEY_DIR: join(foreign, 'keys'),
    AUDIT_WITNESS_DIR: join(foreign, 'witness'),
    AUDIT_ARCHIVE_DIR: join(foreign, 'archive'),
    AUDIT_FORWARD_NDJSON: join(foreign, 'forwarded.ndjson'),
  });
  const expectPlayedToTheEnd = async (run: CliRun, cwd: string) => {
    // NOTE: on a failure, jest shows the received object: the demo's last words.
    expect({ code: run.code, tail: run.stderr.slice(-2000) }).toMatchObject({ code: 0 });
    expect(run.stdout).toMatch(LAST_LINE);
    // The revert step: exactly the escalation undone, with nothing in conflict, bob's edit kept.
    expect(run.stdout).toMatch(
      /previews the revert of event #\d+: patch \[\{"op":"replace","path":"\/role","value":"user"\}\], conflicts: none/,
    );
    expect(run.stdout).toMatch(/alice reverts it: role put back, bob's email kept/);
    expect(run.stdout).toMatch(/#\d+ .* REVERT +by USER:alice/);
    expect(await readdir(cwd)).toEqual(['.demo-data']);
    const state = join(cwd, '.demo-data');
    expect((await readdir(join(state, 'keys'))).sort()).toEqual([
      expect.stringMatching(/\.key$/),
      'subject-kek',
    ]);
    expect((await readdir(join(state, 'witness'))).sort()).toEqual(['checkpoint', 'keys.json']);
    expect(existsSync(join(state, 'export', 'manifest.json'))).toBe(true);
    expect(await readdir(foreign)).toEqual([]);
  };

  beforeAll(async () => {
    foreign = await workDir();
  });
  afterAll(async () => {
    await clearQueuePrefix(prefix);
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  describe('with DATABASE_URL', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase();
    });
    afterAll(async () => {
      await db?.query(`drop database if exists "${db.name}_demo" with (force)`);
      await db?.drop();
    });

    it("plays to the end on a fresh <database>_demo of that server, leaving DATABASE_URL's own database alone", async () => {
      const cwd = await workDir();
      const run = await runDemo(cwd, { ...shellSettings(), DATABASE_URL: db.url });
      await expectPlayedToTheEnd(run, cwd);
      expect(run.stdout).toContain(`Fresh database ${db.name}_demo on `);
      const tables = await db.query(
        "select 1 from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema')",
      );
      expect(tables).toEqual([]);
    });

    it('refuses a <database>_demo it did not create, and drops nothing', async () => {
      await db.query(`drop database if exists "${db.name}_demo" with (force)`);
      await db.query(`create database "${db.name}_demo"`);
      const cwd = await workDir();
      const run = await runDemo(cwd, { ...shellSettings(), DATABASE_URL: db.url });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `The database "${db.name}_demo" on ${new URL(db.url).host} exists and was not created by the demo`,
      );
      expect(
        await db.query('select 1 from pg_database where datname = $1', [`${db.name}_demo`]),
      ).toHaveLength(1);
    });
  });

  // NOTE: the default path drops and recreates audit_ledger_demo on 127.0.0.1:5432, as the demo always did.
  it('plays to the end without DATABASE_URL (audit_ledger_demo on the local server)', async () => {
    const cwd = await workDir();
    const run = await runDemo(cwd, { ...shellSettings(), DATABASE_URL: undefined });
    await expectPlayedToTheEnd(run, cwd);
    expect(run.stdout).toContain('Fresh database audit_ledger_demo on 127.0.0.1:5432');
  });

  it('--serve: prints the viewer URL, keeps the app up until Ctrl-C, then cleans up and exits 0', async () => {
    const db = await createTestDatabase();
    const cwd = await workDir();
    const child = spawn(process.execPath, [DEMO_MAIN, '--serve'], {
      env: { ...process.env, ...shellSettings(), DATABASE_URL: db.url, DEMO_PASSWORD: 'serve-secret-7Q' },
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.resume();
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    try {
      await waitFor(async () => /Audit viewer: http:\/\/\S+\/audit\//.test(stdout), 'the viewer URL', 50_000);
      const url = /Audit viewer: (http:\/\/\S+\/audit\/)/.exec(stdout)![1];
      // The app is still up: the viewer's page answers, under its CSP.
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
      // The password is named, never printed: DEMO_PASSWORD may be one of the user's own.
      expect(stdout).not.toContain('serve-secret-7Q');
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(stdout).toContain('SIGINT: stopping the example app.');
      await expect(fetch(url)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await db.query(`drop database if exists "${db.name}_demo" with (force)`);
      await db.drop();
    }
  });
});

import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Checkpointer } from 'audit-ledger';
import { runCli, runCliJson } from './support/cli-process';
import { startExampleApp, type ExampleApp } from './support/example-app';
import { waitFor } from './support/wait-for';

/**
 * What an operator sees when something around the store is wrong: the CLI names the problem in
 * one line with the right exit code, and never reports a misconfiguration as tampering.
 */
describe('operations under faults: the CLI tells configuration from tampering', () => {
  let e: ExampleApp;
  let env: NodeJS.ProcessEnv;
  let dir: string;

  beforeAll(async () => {
    e = await startExampleApp();
    dir = await mkdtemp(join(tmpdir(), 'audit-ops-faults-'));
    env = { ...process.env, ...e.env, AUDIT_OPERATOR: 'e2e-operator' };
    // Enough events that each tenth of a verification run is crossed on its own.
    for (let i = 0; i < 12; i++) await e.login('alice');
    await waitFor(async () => (await e.count('outbox')) === 0, 'sealed events');
    await e.app.get(Checkpointer).run('NOW');
  });
  afterAll(async () => {
    await e?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('read-only commands without Redis succeed without a connection-error stack', async () => {
    const noRedis = { ...env, REDIS_URL: 'redis://127.0.0.1:1' };
    for (const args of [
      ['keys', 'list'],
      ['--json', 'retention', 'show'],
    ]) {
      const run = await runCli(args, noRedis);
      expect({ args, code: run.code }).toEqual({ args, code: 0 });
      expect(run.stderr).not.toMatch(/ECONNREFUSED|^\s+at /m);
    }
  });

  it('a witness directory that does not exist is a configuration error (exit 4), said once with the path', async () => {
    const wrong = join(dir, 'no-such-witness');
    const run = await runCli(['verify'], { ...env, AUDIT_WITNESS_DIR: wrong });
    expect(run.code).toBe(4);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(wrong);
    expect(run.stderr).toContain('AUDIT_WITNESS_DIR');
    expect(run.stdout + run.stderr).not.toMatch(/KEY_MISMATCH|WITNESS_CHECKPOINT_INVALID|tamper/i);
    const json = await runCliJson(['verify'], { ...env, AUDIT_WITNESS_DIR: wrong });
    expect(json.code).toBe(4);
    expect(json.doc).toMatchObject({ error: { code: 'AUDIT_WITNESS_UNAVAILABLE' } });
    // The right witness: the same store verifies.
    expect((await runCli(['verify'], env)).code).toBe(0);
  });

  it('export refuses a directory that is not empty, and leaves what is there alone', async () => {
    const out = join(dir, 'export');
    const ALL = ['--from', '2000-01-01', '--to', '2100-01-01'];
    expect((await runCli(['export', ...ALL, '--out', out], env)).code).toBe(0);
    const before = (await readdir(out)).sort();
    const again = await runCli(['export', ...ALL, '--format', 'csv', '--gzip', '--out', out], env);
    expect(again.code).toBe(3);
    expect(again.stderr.trim()).toBe(
      `audit-ledger: --out ${out} is not empty (${before.length} entries): export into a new or empty directory`,
    );
    expect((await readdir(out)).sort()).toEqual(before);
  });

  it('online verify without a terminal reports every tenth of the way', async () => {
    const run = await runCli(['verify'], env);
    expect(run.code).toBe(0);
    const tenths = [...run.stderr.matchAll(/^verify: (\d+)% /gm)].map((m) => Number(m[1]));
    expect(tenths).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  });
});

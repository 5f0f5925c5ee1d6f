import { Writable } from 'node:stream';
import { runCli } from './run-cli';

function capture() {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

/** Runs the CLI in-process with a database URL nothing listens on: none of these may connect. */
async function run(args: string[]) {
  const stdout = capture();
  const stderr = capture();
  const code = await runCli(
    args,
    { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' },
    {
      stdout: stdout.stream,
      stderr: stderr.stream,
    },
  );
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('runCli: parsing, help and usage errors (no database)', () => {
  it('--help on the program and on every command and subcommand exits 0 with its usage', async () => {
    for (const args of [
      [],
      ['verify'],
      ['keys'],
      ['keys', 'list'],
      ['keys', 'rotate'],
      ['keys', 'retire'],
      ['keys', 'compromised'],
      ['checkpoint'],
      ['checkpoint', 'publish'],
    ]) {
      const { code, stdout } = await run([...args, '--help']);
      expect(code).toBe(0);
      expect(stdout).toContain(`Usage: audit-ledger ${args.join(' ')}`.trimEnd());
    }
  });

  it('unknown commands and options, missing arguments and options exit 2', async () => {
    expect(await run(['nope'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("unknown command 'nope'"),
    });
    expect(await run(['keys', 'retire'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("missing required argument 'keyId'"),
    });
    expect(await run(['keys', 'compromised', '0123abcd'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("required option '--since <time>' not specified"),
    });
    expect(await run(['keys', 'compromised', '0123abcd', '--since', '2999-01-01T00:00:00Z'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--since must not be in the future'),
    });
  });

  it('with --json a usage error is a JSON document on stdout', async () => {
    const { code, stdout } = await run(['--json', 'verify', '--bogus']);
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toEqual({
      ok: false,
      error: { exitCode: 2, code: 'commander.unknownOption', message: "unknown option '--bogus'" },
    });
  });
});

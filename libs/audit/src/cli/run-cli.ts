import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { CLI_COMMANDS } from './cli-commands';
import { cliFailure, type CliFailure } from './cli-failure';
import { cliEnvironment } from './cli-environment';
import type { CliStreams } from './cli-output';
import { CliRuntime } from './cli-runtime';
import { EXIT, EXIT_CODE_HELP, type ExitCode } from './exit-codes';

const ENVIRONMENT_HELP = `Environment:
  AUDIT_DATABASE_URL, DATABASE_URL  the audit store (default postgres://postgres@127.0.0.1:5432/audit_ledger)
  REDIS_URL                         the sealing queue's Redis (default redis://127.0.0.1:6379)
  AUDIT_QUEUE_PREFIX                its BullMQ key prefix (default audit-ledger)
  AUDIT_KEY_DIR, AUDIT_SIGNING_KEY  the signing keys (default directory .audit/keys)
  AUDIT_WITNESS_DIR                 the witness (default .audit/witness)
  AUDIT_ARCHIVE_DIR                 where archive segments go (default .audit/archive)
  AUDIT_SUBJECT_KEK                 the key wrapping subject keys (default file AUDIT_KEY_DIR/subject-kek)
  AUDIT_LOG_ORIGIN, AUDIT_KEY_SET_ID  the log's name and key set (default audit-ledger/log, default)
  AUDIT_OPERATOR                    who runs the command, recorded in its audit events (default: the OS user)`;

/** The package's version: the nearest package.json up from here (source or dist, in the repo or installed). */
function version(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}

/** The `audit-ledger` program: global options, every command of CLI_COMMANDS, help texts. */
export function cliProgram(cli: CliRuntime, streams: CliStreams): Command {
  const program = new Command('audit-ledger')
    .description(
      'Operator commands of the Audit Ledger: verify the log (online or an export offline), export, manage signing keys, publish checkpoints, archive under a retention policy, erase a data subject.',
    )
    .version(version(), '-V, --version')
    .option('--json', 'print the result as one JSON document on stdout (no progress output)')
    .option('--verbose', "also log the library's warnings and info lines to stderr")
    // Commands made after these calls inherit them: errors throw (mapped to exit codes) instead of exiting.
    .exitOverride()
    .configureOutput({
      writeOut: (text) => streams.stdout.write(text),
      writeErr: (text) => streams.stderr.write(text),
    })
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ showGlobalOptions: true })
    .addHelpText('after', `\n${ENVIRONMENT_HELP}\n\n${EXIT_CODE_HELP}`);
  for (const register of CLI_COMMANDS) register(program, cli);
  return program;
}

/**
 * Runs `audit-ledger <args>` and returns its exit code (see exit-codes.ts). Writes the result to
 * `streams.stdout`, everything else to `streams.stderr`; never calls `process.exit`.
 */
export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  streams: CliStreams = { stdout: process.stdout, stderr: process.stderr },
): Promise<ExitCode> {
  const cli = new CliRuntime(args, cliEnvironment(env), streams);
  try {
    await cliProgram(cli, streams).parseAsync(args, { from: 'user' });
    return cli.exitCode;
  } catch (error) {
    let failure: CliFailure;
    if (error instanceof CommanderError) {
      // Commander printed its message (or the help) already.
      if (error.exitCode === 0) return EXIT.OK;
      failure = { exitCode: EXIT.USAGE, code: error.code, message: error.message.replace(/^error: /, '') };
    } else {
      failure = cliFailure(error);
      streams.stderr.write(`audit-ledger: ${failure.message}\n`);
    }
    if (cli.json || args.includes('--json'))
      streams.stdout.write(`${JSON.stringify({ ok: false, error: failure }, null, 2)}\n`);
    return failure.exitCode;
  } finally {
    await cli.close();
  }
}

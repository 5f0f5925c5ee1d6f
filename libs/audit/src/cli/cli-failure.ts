import { AuditError } from '../errors/audit.error';
import { InvalidErasureRequestError } from '../errors/invalid-erasure-request.error';
import { InvalidExportRequestError } from '../errors/invalid-export-request.error';
import { InvalidRetentionInputError } from '../errors/invalid-retention-input.error';
import { InvalidAuditOptionsError } from '../errors/invalid-audit-options.error';
import { KeyProviderError } from '../errors/key-provider.error';
import { LogIntegrityError } from '../errors/log-integrity.error';
import { WitnessAheadOfStoreError } from '../errors/witness-ahead-of-store.error';
import { WitnessRejectedError } from '../errors/witness-rejected.error';
import { WitnessUnavailableError } from '../errors/witness-unavailable.error';
import { CliError } from './cli.error';
import { EXIT, type ExitCode } from './exit-codes';

/** How a failed command is reported: its exit code, a stable code and a one-line reason. */
export interface CliFailure {
  exitCode: ExitCode;
  code: string;
  message: string;
}

// Node's socket errors, and PostgreSQL SQLSTATEs: 08 connection, 28 authorisation, 3D000 no such
// database, 3F000 no such schema, 42P01 no such table (the audit migrations have not run).
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ECONNRESET',
]);
const SETUP_SQLSTATE = /^(08|28)|^(3D000|3F000|42P01)$/;
const FILE_CODES = new Set(['EACCES', 'EPERM', 'ENOENT', 'ENOTDIR', 'EROFS']);

/** The error and its causes (MikroORM wraps the driver's error; Node reports a refused dual-stack connect as an AggregateError). */
function* chain(error: unknown, depth = 0): Generator<Record<string, unknown>> {
  if (!error || typeof error !== 'object' || depth > 5) return;
  const e = error as { cause?: unknown; errors?: unknown };
  yield error as Record<string, unknown>;
  yield* chain(e.cause, depth + 1);
  if (Array.isArray(e.errors)) for (const inner of e.errors) yield* chain(inner, depth + 1);
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

function messageOf(error: unknown): string {
  for (const e of chain(error)) if (typeof e.message === 'string' && e.message) return oneLine(e.message);
  return oneLine(String(error));
}

function setupProblem(error: unknown): string | null {
  for (const e of chain(error)) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (NETWORK_CODES.has(code)) return `cannot connect (${code})`;
    if (SETUP_SQLSTATE.test(code)) return `database refused (SQLSTATE ${code})`;
    if (FILE_CODES.has(code) && typeof e.path === 'string') return `cannot use ${e.path} (${code})`;
  }
  return null;
}

/** Maps what a command threw to its exit code (see exit-codes.ts) and reason. */
export function cliFailure(error: unknown): CliFailure {
  if (error instanceof CliError)
    return { exitCode: error.exitCode, code: error.code, message: oneLine(error.message) };
  const message = messageOf(error);
  if (
    error instanceof InvalidAuditOptionsError ||
    error instanceof KeyProviderError ||
    error instanceof WitnessUnavailableError
  )
    return { exitCode: EXIT.CONFIG, code: error.code, message };
  // NOTE: a witness ahead of the store is a recreated database in development but a rollback in
  // production, and nothing tells them apart: it is reported as the integrity alarm it may be.
  if (
    error instanceof LogIntegrityError ||
    error instanceof WitnessRejectedError ||
    error instanceof WitnessAheadOfStoreError
  )
    return { exitCode: EXIT.FAILED, code: error.code, message };
  if (
    error instanceof InvalidExportRequestError ||
    error instanceof InvalidRetentionInputError ||
    error instanceof InvalidErasureRequestError
  )
    return { exitCode: EXIT.USAGE, code: error.code, message };
  if (error instanceof AuditError) return { exitCode: EXIT.INTERNAL, code: error.code, message };
  const setup = setupProblem(error);
  if (setup) return { exitCode: EXIT.CONFIG, code: 'AUDIT_CLI_CONFIG', message: `${setup}: ${message}` };
  return { exitCode: EXIT.INTERNAL, code: 'AUDIT_CLI_INTERNAL', message };
}

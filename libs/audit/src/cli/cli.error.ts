import { AuditError } from '../errors/audit.error';
import { EXIT, type ExitCode } from './exit-codes';

const CODES: Record<ExitCode, string> = {
  [EXIT.OK]: 'AUDIT_CLI_OK',
  [EXIT.FAILED]: 'AUDIT_CLI_FAILED',
  [EXIT.USAGE]: 'AUDIT_CLI_USAGE',
  [EXIT.REFUSED]: 'AUDIT_CLI_REFUSED',
  [EXIT.CONFIG]: 'AUDIT_CLI_CONFIG',
  [EXIT.INTERNAL]: 'AUDIT_CLI_INTERNAL',
};

/**
 * A command ends with `exitCode` and this one-line reason (printed to stderr, and in the `--json`
 * document). Commands throw it for outcomes they decide themselves, e.g. `CliError.usage(…)`
 * for a malformed argument, `CliError.refused(…)` when the state does not allow the action.
 */
export class CliError extends AuditError {
  readonly code: string;

  constructor(
    readonly exitCode: ExitCode,
    message: string,
    code?: string,
  ) {
    super(message);
    this.code = code ?? CODES[exitCode];
  }

  static usage(message: string): CliError {
    return new CliError(EXIT.USAGE, message);
  }

  static refused(message: string): CliError {
    return new CliError(EXIT.REFUSED, message);
  }

  static config(message: string): CliError {
    return new CliError(EXIT.CONFIG, message);
  }
}

import type { LoggerService } from '@nestjs/common';

const text = (message: unknown) =>
  (message instanceof Error ? message.message : String(message)).replace(/\s+/g, ' ').trim();

/**
 * Nest's and the library's log lines, one per line on stderr (stdout is for results): errors
 * only, unless `--verbose`. Errors that end a command are reported by the CLI itself, once, so
 * Nest's ExceptionHandler line for a failed bootstrap is left out.
 */
export class CliLogger implements LoggerService {
  constructor(
    private readonly stderr: NodeJS.WritableStream,
    private readonly all: boolean,
  ) {}

  error(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    if (context === 'ExceptionHandler') return;
    this.write('error', message, context);
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest[rest.length - 1]);
  }

  warn(message: unknown, ...rest: unknown[]): void {
    if (this.all) this.write('warn', message, rest[rest.length - 1]);
  }

  log(message: unknown, ...rest: unknown[]): void {
    if (this.all) this.write('info', message, rest[rest.length - 1]);
  }

  private write(level: string, message: unknown, context: unknown): void {
    const where = typeof context === 'string' ? ` [${context}]` : '';
    this.stderr.write(`audit-ledger ${level}${where}: ${text(message)}\n`);
  }
}

import { Logger, type LoggerService } from '@nestjs/common';
import { randomUUID } from 'node:crypto';

/** What a client is told instead of an internal error's text. */
export const INTERNAL_ERROR_MESSAGE = 'Internal server error';

/**
 * Error classes whose message is built from code, never from request data or rows, so it may
 * be logged (`Cannot read properties of null (reading 'x')`). Every other message may carry
 * values: a driver error's message is the SQL with its parameters inlined, a JSON SyntaxError
 * quotes its input.
 */
const CODE_MESSAGES = new Set(['TypeError', 'ReferenceError', 'RangeError']);

/**
 * The parts of an internal error that are safe to log: its class, its SQL state when a database
 * refused a statement, the message only for the classes above, and the stack frames without the
 * first line (which repeats the message).
 */
export function describeInternalError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { errorClass: typeof error };
  const { sqlState, code } = error as { sqlState?: unknown; code?: unknown };
  const state = typeof sqlState === 'string' ? sqlState : typeof code === 'string' ? code : undefined;
  return {
    errorClass: error.constructor?.name ?? error.name,
    ...(state && /^[0-9A-Z_]{1,40}$/.test(state) && { sqlState: state }),
    ...(CODE_MESSAGES.has(error.constructor?.name) && { errorMessage: error.message }),
    frames: (error.stack ?? '')
      .split('\n')
      .filter((line) => line.startsWith('    at '))
      .map((line) => line.trim()),
    ...(error.cause instanceof Error && { cause: describeInternalError(error.cause) }),
  };
}

/**
 * Logs an internal error once, under a fresh `errorId`, without its message's values
 * (`describeInternalError`), and returns the id: the client is told the id, operators find the
 * detail by it. `logger` defaults to Nest's logger with the context `AuditErrors`, so the app's
 * logger (e.g. pino) writes it.
 */
export function reportInternalError(
  error: unknown,
  logger: Pick<LoggerService, 'error'> = defaultLogger,
): string {
  const errorId = randomUUID();
  logger.error({ errorId, ...describeInternalError(error) }, 'Internal error, answered masked');
  return errorId;
}

const defaultLogger = new Logger('AuditErrors');

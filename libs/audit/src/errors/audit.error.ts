/**
 * Base class of every error the audit library throws. `code` is stable and machine-readable
 * (it becomes GraphQL `extensions.code`); the message says what went wrong and how to fix it.
 */
export abstract class AuditError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

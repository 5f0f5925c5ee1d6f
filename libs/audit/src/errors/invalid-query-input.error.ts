import { AuditError } from './audit.error';

/** An audit query argument is invalid (page size, cursor, range): nothing was read. */
export class InvalidQueryInputError extends AuditError {
  readonly code = 'BAD_USER_INPUT';

  constructor(
    message: string,
    /** The offending argument. */
    readonly argument: string,
  ) {
    super(message);
  }
}

import { AuditError } from './audit.error';

/** Thrown at bootstrap when `AuditModule.forRoot*` options are invalid. */
export class InvalidAuditOptionsError extends AuditError {
  readonly code = 'AUDIT_INVALID_OPTIONS';

  constructor(readonly problems: string[]) {
    super(
      `Invalid AuditModule options:\n  - ${problems.join('\n  - ')}\n` +
        'Fix the options passed to AuditModule.forRoot()/forRootAsync(); see docs/configuration.md.',
    );
  }
}

import { AuditError } from './audit.error';

/** Thrown when an `@Auditable` method cannot be audited as declared (unknown entity, no entity id). */
export class AuditableMisconfiguredError extends AuditError {
  readonly code = 'AUDITABLE_MISCONFIGURED';
}

import { AuditError } from './audit.error';

/**
 * Why a revert or restore was refused, with nothing written: `AUDIT_REVERT_CONFLICT` (ABORT met
 * fields changed since; `fields` names them), `AUDIT_REVERT_STALE` (the record's trail moved past
 * `expectedHeadSeq`, or the record changed between plan and write), `AUDIT_NOT_REVERTIBLE` (an
 * event without state, a record the app does not map, a re-creation the restorer does not allow),
 * `NOT_FOUND` (no such event or record the caller may see: another tenant's looks the same).
 */
export class AuditRevertRefusedError extends AuditError {
  constructor(
    readonly code: 'AUDIT_REVERT_CONFLICT' | 'AUDIT_REVERT_STALE' | 'AUDIT_NOT_REVERTIBLE' | 'NOT_FOUND',
    message: string,
    readonly fields: string[] = [],
  ) {
    super(message);
  }
}

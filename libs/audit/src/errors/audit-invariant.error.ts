import { AuditError } from './audit.error';

/**
 * The library was called against its own contract (a statement whose placeholders and values
 * disagree, SQL that needs a transaction run outside one, a partial head-map load). A bug, not an
 * input problem: it never reaches a client as such (it is masked as an internal error).
 */
export class AuditInvariantError extends AuditError {
  readonly code = 'AUDIT_INVARIANT';
}

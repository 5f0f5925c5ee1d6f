import type { Role } from '../users/user.entity';

/** The authenticated caller, from the current row of the user a verified token names. */
export interface Principal {
  sub: string;
  username: string;
  role: Role;
  /** The tenant the principal is bound to; null for a global principal. */
  tenantId: string | null;
}

import type { Role } from '../users/user.entity';

/** The authenticated caller, from a verified JWT's claims. */
export interface Principal {
  sub: string;
  username: string;
  role: Role;
  /** The tenant the principal is bound to; null for a global principal. */
  tenantId: string | null;
}

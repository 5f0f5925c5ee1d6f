import type { JsonObject } from '../events/audit-event';

/** Options of `@Auditable`. */
export interface AuditableOptions {
  /** The audited entity: its MikroORM class or entity name. Its name becomes the event's `entityType`. */
  entity: (abstract new (...args: any[]) => object) | string;
  /** `CREATE`, `UPDATE`, `DELETE` or any custom upper-case name (`[A-Z][A-Z0-9_]*`). */
  action: string;
  /**
   * The entity id from the method's arguments. Default: the first argument (for every action but CREATE).
   * Example: `id: (id: string) => id`, `id: (input: { userId: string }) => input.userId`.
   */
  id?: (...args: any[]) => unknown;
  /** The entity id from the method's result. Default for CREATE: the returned entity's primary key. */
  resultId?: (result: any) => unknown;
  /** Business module the change belongs to (e.g. `identity`). Default: null. */
  module?: string;
  /** Business transaction code (e.g. `USER_UPDATE`). Default: null. */
  transactionCode?: string;
  /** Record only these fields of the entity. Default: all. */
  only?: string[];
  /** Never record these fields. Default: none. */
  ignore?: string[];
  /** Extra metadata: static, or computed from the arguments and result. Must be JSON-safe. */
  metadata?: JsonObject | ((args: unknown[], result: unknown) => JsonObject);
  /** Overrides the module's `recordFailures` for this method. */
  recordFailures?: boolean;
}

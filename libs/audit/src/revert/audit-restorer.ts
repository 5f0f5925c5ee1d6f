import { ReferenceKind, type EntityManager, type EntityMetadata } from '@mikro-orm/core';
import type { JsonObject } from '../events/audit-event';

/** What a restorer is asked to do, inside the audited transaction of the revert. */
export interface AuditRestoreRequest<T extends object = object> {
  /** The audited transaction's entity manager: what the restorer writes with is flushed in it. */
  em: EntityManager;
  entityType: string;
  entityClass: EntityMetadata<T>['class'];
  /** The primary key, in its property's type. */
  id: unknown;
  /**
   * `UPDATE`: write `values` to `entity`; `CREATE`: re-create the deleted record from `values` with
   * the key `id`; `DELETE`: remove `entity` (the revert of its creation).
   */
  mode: 'UPDATE' | 'CREATE' | 'DELETE';
  /**
   * Property name → value from the ledger (JSON: dates as ISO-8601 text), never a mask or
   * `[ERASED]`. `UPDATE`: the writable fields to change; `CREATE`: every field the ledger holds of
   * the record (its key, tenant and timestamps included: the restorer takes what it allows).
   */
  values: JsonObject;
  /** The record, locked (`SELECT … FOR UPDATE`) and managed by `em`; null for `CREATE`. */
  entity: T | null;
}

/**
 * How an app applies a revert to one entity type: through its own code, so its validation, hooks
 * and invariants hold (`AuditRevertService.registerRestorer`). It may throw to refuse: the attempt
 * is recorded as `REVERT_FAILED` / `RESTORE_FAILED` and nothing is written.
 */
export interface AuditRestorer<T extends object = object> {
  /**
   * The properties a revert may write; the others are reported `NOT_WRITABLE` and left as they
   * are. Default: `defaultWritableFields` (scalars, embeddables and owned to-one references that
   * are not a key, a version, a formula or maintained by `onUpdate`).
   */
  writable?: string[];
  /** Whether a deleted record may be re-created (and a created one deleted). Default: true. */
  recreate?: boolean;
  restore(request: AuditRestoreRequest<T>): Promise<void>;
}

/** The properties the default restorer writes (see `AuditRestorer.writable`). */
export function defaultWritableFields(meta: EntityMetadata): string[] {
  return meta.props
    .filter(
      (p) =>
        !p.primary &&
        !p.version &&
        !p.onUpdate &&
        !p.formula &&
        !p.generated &&
        p.persist !== false &&
        !p.embedded &&
        (p.kind === ReferenceKind.SCALAR ||
          p.kind === ReferenceKind.EMBEDDED ||
          p.kind === ReferenceKind.MANY_TO_ONE ||
          (p.kind === ReferenceKind.ONE_TO_ONE && p.owner)),
    )
    .map((p) => p.name);
}

/**
 * The restorer of entities the app registered none for: MikroORM `assign` of the values to the
 * locked entity (or `create` of a deleted one with its key, `remove` for a revert of a creation);
 * the revert's audited operation flushes it, so the entity's own hooks and the row capture run.
 */
export const ORM_RESTORER: AuditRestorer = {
  async restore({ em, entityClass, entity, id, mode, values }) {
    if (mode === 'DELETE') {
      em.remove(entity!);
      return;
    }
    if (mode === 'UPDATE') {
      em.assign(entity!, values as never);
      return;
    }
    const meta = em.getMetadata().get(entityClass);
    em.create(entityClass, { ...values, [meta.primaryKeys[0]]: id } as never, { persist: true });
  },
};

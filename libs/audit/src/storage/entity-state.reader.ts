import { LockMode, wrap, type EntityManager, type EntityMetadata } from '@mikro-orm/core';
import type { JsonObject } from '../events/audit-event';
import { snapshotEntity } from '../capture/entity-snapshot';

/**
 * Reads an entity's state inside the audited transaction. The before-read locks the row
 * (SELECT … FOR UPDATE), so concurrent audited calls on one entity serialise and each event's
 * `before` is the previous event's `after`. The after-read uses the unit of work when it holds
 * the entity (no extra round trip) and the database otherwise.
 */
export class EntityStateReader {
  async lockedRead(em: EntityManager, meta: EntityMetadata, id: unknown): Promise<JsonObject | null> {
    const entity = await this.lockedEntity(em, meta, id);
    return entity ? snapshotEntity(meta, entity) : null;
  }

  /** The entity, read afresh and locked (SELECT … FOR UPDATE) in `em`'s transaction. */
  lockedEntity(em: EntityManager, meta: EntityMetadata, id: unknown): Promise<object | null> {
    return em.findOne(meta.class, id, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
  }

  async currentState(em: EntityManager, meta: EntityMetadata, id: unknown): Promise<JsonObject | null> {
    const managed = em.getUnitOfWork().getById<object>(meta.class, id);
    if (managed && wrap(managed, true).isInitialized()) return snapshotEntity(meta, managed);
    const entity = await em.findOne(meta.class, id, { refresh: true });
    return entity ? snapshotEntity(meta, entity) : null;
  }
}

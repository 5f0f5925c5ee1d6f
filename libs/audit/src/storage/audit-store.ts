import { MikroORM } from '@mikro-orm/core';
import { getMikroORMToken } from '@mikro-orm/nestjs';
import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import { Inject, type Provider } from '@nestjs/common';

/** Injection token of the MikroORM connection that holds the sealed store (module extra `storeConnection`). */
export const AUDIT_STORE = Symbol('audit:store');

/** Injects the sealed store's MikroORM: the app's own unless `storeConnection` names another. */
export const InjectAuditStore = (): ParameterDecorator => Inject(AUDIT_STORE);

/** The store is the named connection, or the app's own: a dependency Nest waits for. */
export function auditStoreProvider(storeConnection: string): Provider {
  return {
    provide: AUDIT_STORE,
    useExisting: storeConnection ? getMikroORMToken(storeConnection) : MikroORM,
  };
}

export const knexOf = (orm: MikroORM): Knex => (orm.em as EntityManager).getKnex();

/**
 * The outboxes events wait in: the app's (written in the business transaction) and, with a
 * separate store, the store's too, where the library's own events (key lifecycle) are written
 * in the transaction of the change they record.
 */
export function outboxesOf(app: MikroORM, store: MikroORM): Knex[] {
  return app === store ? [knexOf(app)] : [knexOf(app), knexOf(store)];
}

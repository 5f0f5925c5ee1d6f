import { MikroORM } from '@mikro-orm/core';
import { getMikroORMToken } from '@mikro-orm/nestjs';
import { Inject, type Provider } from '@nestjs/common';
import { type SqlSession, sqlOf } from './sql-session';

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

/**
 * The outboxes events wait in: the app's (written in the business transaction) and, with a
 * separate store, the store's too, where the library's own events (key lifecycle) are written
 * in the transaction of the change they record.
 */
export function outboxesOf(app: MikroORM, store: MikroORM): SqlSession[] {
  return app === store ? [sqlOf(app)] : [sqlOf(app), sqlOf(store)];
}

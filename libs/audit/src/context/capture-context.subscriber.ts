import {
  MikroORM,
  type EventSubscriber,
  type FlushEventArgs,
  type TransactionEventArgs,
} from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { CAPTURE_CONTEXT_SETTING } from '../audit.constants';
import type { CaptureContext } from '../capture/captured-row';
import { CapturedTables } from '../capture/captured-tables.registry';
import { AfterCommitPublisher } from '../outbox/after-commit.publisher';
import { isSavepoint, rootTransaction } from '../outbox/transaction-root';
import { setCaptureContext } from '../storage/capture.store';
import { AuditContextService } from './audit-context.service';
import { operationScope } from './operation-scope';
import { sealableJson } from '../capture/sealed-bounds';
import { sqlInTransaction } from '../storage/sql-session';

/**
 * Gives every application transaction its context before it writes anything, so the capture
 * trigger can tell the app's changes (actor, request, operation) from everyone else's: an
 * `@Auditable` call's own context, or for any other transaction the one current (the request's
 * principal, a propagated job context, or SYSTEM) under a new operation id. NOTE: statements the
 * app runs outside a transaction (autocommit) reach the trigger with no context and are recorded
 * as the database role's; docs/capture.md says to wrap them in `em.transactional`.
 */
@Injectable()
export class CaptureContextSubscriber implements EventSubscriber {
  /** The context each root transaction outside an audited call was given (restored after a nested call). */
  private readonly given = new WeakMap<object, string>();

  constructor(
    orm: MikroORM,
    private readonly context: AuditContextService,
    private readonly tables: CapturedTables,
    private readonly publisher: AfterCommitPublisher,
  ) {
    orm.em.getEventManager().registerSubscriber(this);
  }

  async afterTransactionStart(args: TransactionEventArgs): Promise<void> {
    const trx = args.transaction;
    if (!trx) return;
    const sql = sqlInTransaction(trx, args.em);
    await this.tables.ready();
    if (!this.tables.hasAny()) return;
    const frame = operationScope.getStore();
    if (frame && !frame.applied) {
      frame.applied = true;
      await setCaptureContext(sql, CAPTURE_CONTEXT_SETTING, frame.text);
      return;
    }
    // A savepoint keeps its transaction's context.
    if (isSavepoint(trx)) return;
    const text = sealableJson(this.current());
    this.given.set(trx, text);
    await setCaptureContext(sql, CAPTURE_CONTEXT_SETTING, text);
  }

  /** A flush that wrote captured rows: a sweep job seals them once their transaction commits. */
  afterFlush(args: FlushEventArgs): void {
    if (!this.tables.hasAny()) return;
    const wrote =
      args.uow
        .getChangeSets()
        .some((cs) => this.tables.isCaptured(cs.meta.className) || cs.meta.pivotTable) ||
      args.uow.getCollectionUpdates().length > 0;
    if (wrote) {
      this.publisher.sweepAfterCommit(args.em.getTransactionContext());
    }
  }

  /** The context a root transaction outside an audited call was given, if any. */
  contextOf(trx: object): string | undefined {
    return this.given.get(rootTransaction(trx));
  }

  /** The context of a transaction outside any audited call. */
  current(): CaptureContext {
    const { actor, tenantId, source } = this.context.snapshot();
    return {
      operationId: uuidv7(),
      actor,
      tenantId,
      source,
      action: null,
      entityType: null,
      entityId: null,
      module: null,
      transactionCode: null,
      metadata: null,
    };
  }

  getSubscribedEntities(): [] {
    return [];
  }
}

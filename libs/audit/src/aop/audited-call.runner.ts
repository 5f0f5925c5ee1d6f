import {
  MikroORM,
  TransactionPropagation,
  Utils,
  type EntityManager,
  type EntityMetadata,
} from '@mikro-orm/core';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AUDIT_OPTIONS, CAPTURE_CONTEXT_SETTING } from '../audit.constants';
import type { ResolvedAuditOptions } from '../audit-options.interface';
import { EntityStateReader } from '../storage/entity-state.reader';
import { scalarText } from '../capture/scalar-text';
import { primaryKeyOf, toJsonValue } from '../capture/to-json-value';
import type { AuditContextSnapshot } from '../context/audit-context';
import { AuditContextService } from '../context/audit-context.service';
import type { AuditableOptions } from '../decorators/auditable-options.interface';
import { AuditableMisconfiguredError } from '../errors/auditable-misconfigured.error';
import type { JsonObject } from '../events/audit-event';
import { AuditEventFactory } from '../events/audit-event.factory';
import { v7 as uuidv7 } from 'uuid';
import type { CaptureContext } from '../capture/captured-row';
import { CapturedTables } from '../capture/captured-tables.registry';
import { CaptureContextSubscriber } from '../context/capture-context.subscriber';
import { operationScope, type OperationFrame } from '../context/operation-scope';
import { AfterCommitPublisher } from '../outbox/after-commit.publisher';
import { OutboxWriter } from '../outbox/outbox.writer';
import { setCaptureContext } from '../storage/capture.store';
import { sealableJson } from '../capture/sealed-bounds';
import { sqlIn } from '../storage/sql-session';

type Method = (...args: unknown[]) => unknown;

const idText = (id: unknown) => (typeof id === 'string' ? id : JSON.stringify(toJsonValue(id)));

/**
 * Runs one audited call in a transaction (a savepoint inside the caller's), as one operation: its
 * context (actor, request, action, operation id) is set in the transaction before the method runs,
 * so the database's capture trigger records every row the call changes, however it writes them.
 * An entity the database does not capture takes the unit-of-work path: lock and snapshot it, run
 * the method, flush, snapshot again, write its event to the outbox. Any failure, including the
 * outbox write, rolls the whole call back.
 */
@Injectable()
export class AuditedCallRunner {
  private readonly logger = new Logger(AuditedCallRunner.name);
  private readonly state = new EntityStateReader();
  private readonly metadata = new WeakMap<AuditableOptions, EntityMetadata>();

  constructor(
    private readonly orm: MikroORM,
    private readonly context: AuditContextService,
    private readonly events: AuditEventFactory,
    private readonly outbox: OutboxWriter,
    private readonly tables: CapturedTables,
    private readonly transactions: CaptureContextSubscriber,
    private readonly publisher: AfterCommitPublisher,
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
  ) {}

  /** Resolves the entity of `@Auditable` options against the ORM; throws at bootstrap if unknown. */
  entityMetadata(options: AuditableOptions, where: string): EntityMetadata {
    const cached = this.metadata.get(options);
    if (cached) return cached;
    const name = typeof options.entity === 'string' ? options.entity : options.entity.name;
    const meta = this.orm.getMetadata().getByClassName(name, false);
    if (!meta) {
      throw new AuditableMisconfiguredError(
        `@Auditable on ${where} names entity "${name}", which MikroORM does not know. ` +
          'Register the entity with MikroORM (entities or autoLoadEntities) or fix the name.',
      );
    }
    this.metadata.set(options, meta);
    return meta;
  }

  /** `operationId`: the operation's id when the caller needs it before the call (a revert returns it). */
  async run(
    options: AuditableOptions,
    target: object,
    method: Method,
    args: unknown[],
    operationId: string = uuidv7(),
  ): Promise<unknown> {
    const meta = this.entityMetadata(options, method.name);
    const context = this.context.snapshot();
    await this.tables.ready();
    const captured = this.tables.isCaptured(meta.className);
    const argId =
      options.action === 'CREATE' && !options.id ? undefined : (options.id ?? ((first) => first))(...args);
    const operation: CaptureContext = {
      operationId,
      ...context,
      action: options.action,
      entityType: meta.className,
      entityId: argId === undefined || argId === null ? null : idText(argId),
      module: options.module ?? null,
      transactionCode: options.transactionCode ?? null,
      // NOTE: the database records the rows as they are written, before the method returns, so a
      // metadata function sees no result here (docs/capture.md).
      metadata: captured
        ? this.events.metadataFor(this.metadataOf(options, args, undefined), meta.class)
        : null,
      only: captured ? (options.only ?? null) : null,
      ignore: captured ? (options.ignore ?? null) : null,
    };
    const outer = operationScope.getStore();
    const frame: OperationFrame = {
      context: operation,
      text: sealableJson(operation),
      applied: !this.tables.hasAny(),
    };
    let before: JsonObject | null = null;
    try {
      return await operationScope.run(frame, () =>
        this.orm.em.transactional(
          async (em) => {
            const trx = em.getTransactionContext<object>();
            if (!frame.applied && trx) {
              frame.applied = true;
              await setCaptureContext(sqlIn(em), CAPTURE_CONTEXT_SETTING, frame.text);
            }
            let result: unknown;
            if (captured) {
              result = await method.apply(target, args);
              await em.flush();
              this.publisher.sweepAfterCommit(trx);
            } else {
              before = argId === undefined ? null : await this.state.lockedRead(em, meta, argId);
              result = await method.apply(target, args);
              await em.flush();
              await this.recordUnitOfWork(em, options, meta, { argId, before, args, result, operation });
              if (this.tables.hasAny()) this.publisher.sweepAfterCommit(trx);
            }
            // The caller's own changes after this call belong to the caller's operation again.
            const resumed = outer?.text ?? (trx && this.transactions.contextOf(trx));
            if (resumed && trx && this.tables.hasAny())
              await setCaptureContext(sqlIn(em), CAPTURE_CONTEXT_SETTING, resumed);
            return result;
          },
          { propagation: TransactionPropagation.NESTED },
        ),
      );
    } catch (error) {
      if (options.recordFailures ?? this.options.recordFailures) {
        // A captured entity was not read before the call. Its trail holds only what the database
        // captured, so the failed attempt carries no snapshot (a state read now could interleave
        // with others' committed changes and read as drift); its tenant is the record's, read now.
        const tenant = captured && argId != null ? await this.committedTenant(meta, argId) : undefined;
        await this.recordFailure(
          options,
          meta,
          { id: argId, state: captured ? null : before, tenant },
          args,
          error,
          context,
        );
      }
      throw error;
    }
  }

  /** The unit-of-work path: the call's one entity, snapshotted by the app (an asserted event). */
  private async recordUnitOfWork(
    em: EntityManager,
    options: AuditableOptions,
    meta: EntityMetadata,
    call: {
      argId: unknown;
      before: JsonObject | null;
      args: unknown[];
      result: unknown;
      operation: CaptureContext;
    },
  ): Promise<void> {
    const id = call.argId ?? this.resultId(options, call.result, meta.className);
    const after = await this.state.currentState(em, meta, id);
    const event = this.events.forEntity(
      {
        action: options.action,
        entityType: meta.className,
        entityClass: meta.class,
        entityId: idText(id),
        before: call.before,
        after,
        module: options.module,
        transactionCode: options.transactionCode,
        metadata: this.metadataOf(options, call.args, call.result),
        only: options.only,
        ignore: options.ignore,
      },
      call.operation,
    );
    await this.outbox.write(em, [{ ...event, operationId: call.operation.operationId }]);
  }

  private async committedTenant(meta: EntityMetadata, id: unknown): Promise<string | undefined> {
    try {
      const state = await this.state.currentState(this.orm.em.fork(), meta, id);
      return scalarText(state?.[this.options.tenantField]) ?? undefined;
    } catch {
      return undefined;
    }
  }

  private resultId(options: AuditableOptions, result: unknown, where: string): unknown {
    const isEntity: boolean = Utils.isEntity(result);
    const id = options.resultId
      ? options.resultId(result)
      : isEntity
        ? primaryKeyOf(result as object)
        : (result as { id?: unknown } | null | undefined)?.id;
    if (id === undefined || id === null) {
      throw new AuditableMisconfiguredError(
        `@Auditable on ${where} could not find the entity id: return the entity, or set id/resultId.`,
      );
    }
    return id;
  }

  private metadataOf(options: AuditableOptions, args: unknown[], result: unknown): JsonObject | undefined {
    return typeof options.metadata === 'function' ? options.metadata(args, result) : options.metadata;
  }

  /**
   * The failed attempt, in its own transaction (the caller's is rolling back). The change did not
   * happen, so before and after are both the state the attempt found: the chain still replays.
   */
  private async recordFailure(
    options: AuditableOptions,
    meta: EntityMetadata,
    { id, state, tenant }: { id: unknown; state: JsonObject | null; tenant?: string },
    args: unknown[],
    error: unknown,
    context: AuditContextSnapshot,
  ): Promise<void> {
    const failure = error instanceof Error ? error : new Error(String(error));
    const event = this.events.forEntity(
      {
        action: `${options.action}_FAILED`,
        entityType: meta.className,
        entityClass: meta.class,
        entityId: id === undefined || id === null ? '(unknown)' : idText(id),
        before: state,
        after: state,
        module: options.module,
        transactionCode: options.transactionCode,
        metadata: {
          ...(this.metadataOf(options, args, undefined) ?? {}),
          // The class and code only: messages may quote the rejected values.
          error: { name: failure.constructor.name, code: (failure as { code?: unknown }).code ?? null },
        },
      },
      tenant === undefined ? context : { ...context, tenantId: tenant },
    );
    try {
      await this.orm.em.fork().transactional((em) => this.outbox.write(em, [event]), {
        propagation: TransactionPropagation.REQUIRES_NEW,
      });
    } catch (writeError) {
      this.logger.error(
        `Could not record failed ${options.action} on ${meta.className}: ${String(writeError)}`,
      );
    }
  }
}

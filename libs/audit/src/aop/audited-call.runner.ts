import { MikroORM, TransactionPropagation, Utils, type EntityMetadata } from '@mikro-orm/core';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AUDIT_OPTIONS } from '../audit.constants';
import type { ResolvedAuditOptions } from '../audit-options.interface';
import { EntityStateReader } from '../capture/entity-state.reader';
import { primaryKeyOf, toJsonValue } from '../capture/to-json-value';
import type { AuditContextSnapshot } from '../context/audit-context';
import { AuditContextService } from '../context/audit-context.service';
import type { AuditableOptions } from '../decorators/auditable-options.interface';
import { AuditableMisconfiguredError } from '../errors/auditable-misconfigured.error';
import type { JsonObject } from '../events/audit-event';
import { AuditEventFactory } from '../events/audit-event.factory';
import { OutboxWriter } from '../outbox/outbox.writer';

type Method = (...args: unknown[]) => unknown;

const idText = (id: unknown) => (typeof id === 'string' ? id : JSON.stringify(toJsonValue(id)));

/**
 * Runs one audited call: in a transaction (a savepoint inside the caller's), lock and snapshot the
 * entity, run the method, flush, snapshot again, write the event to the outbox. Any failure,
 * including the outbox write, rolls the whole call back.
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
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
  ) {}

  /** Resolves the entity of `@Auditable` options against the ORM; throws at bootstrap if unknown. */
  entityMetadata(options: AuditableOptions, where: string): EntityMetadata {
    const cached = this.metadata.get(options);
    if (cached) return cached;
    const name = typeof options.entity === 'string' ? options.entity : options.entity.name;
    const meta = this.orm.getMetadata().find(name);
    if (!meta) {
      throw new AuditableMisconfiguredError(
        `@Auditable on ${where} names entity "${name}", which MikroORM does not know. ` +
          'Register the entity with MikroORM (entities or autoLoadEntities) or fix the name.',
      );
    }
    this.metadata.set(options, meta);
    return meta;
  }

  async run(options: AuditableOptions, target: object, method: Method, args: unknown[]): Promise<unknown> {
    const meta = this.entityMetadata(options, method.name);
    const context = this.context.snapshot();
    const argId =
      options.action === 'CREATE' && !options.id ? undefined : (options.id ?? ((first) => first))(...args);
    let before: JsonObject | null = null;
    try {
      return await this.orm.em.transactional(
        async (em) => {
          before = argId === undefined ? null : await this.state.lockedRead(em, meta, argId);
          const result = await method.apply(target, args);
          await em.flush();
          const id = argId ?? this.resultId(options, result, method.name);
          const after = await this.state.currentState(em, meta, id);
          const event = this.events.forEntity(
            {
              action: options.action,
              entityType: meta.className,
              entityClass: meta.class,
              entityId: idText(id),
              before,
              after,
              module: options.module,
              transactionCode: options.transactionCode,
              metadata: this.metadataOf(options, args, result),
              only: options.only,
              ignore: options.ignore,
            },
            context,
          );
          await this.outbox.write(em, [event]);
          return result;
        },
        { propagation: TransactionPropagation.NESTED },
      );
    } catch (error) {
      if (options.recordFailures ?? this.options.recordFailures) {
        await this.recordFailure(options, meta, { id: argId, state: before }, args, error, context);
      }
      throw error;
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
    { id, state }: { id: unknown; state: JsonObject | null },
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
        entityId: id === undefined ? '(unknown)' : idText(id),
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
      context,
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

import { MikroORM, type EntityMetadata } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { v7 as uuidv7, validate as isUuid } from 'uuid';
import { AuditedCallRunner } from '../aop/audited-call.runner';
import { AUDIT_OPTIONS } from '../audit.constants';
import type { ResolvedAuditOptions } from '../audit-options.interface';
import { snapshotEntity } from '../capture/entity-snapshot';
import { scalarText } from '../capture/scalar-text';
import { canonicalJsonText } from '../crypto/canonical-json';
import { AuditArchivedError } from '../errors/audit-archived.error';
import { AuditRevertRefusedError } from '../errors/audit-revert-refused.error';
import { AuditableMisconfiguredError } from '../errors/auditable-misconfigured.error';
import { InvalidQueryInputError } from '../errors/invalid-query-input.error';
import type { JsonObject, SealedAuditEvent } from '../events/audit-event';
import { AuditEventFactory } from '../events/audit-event.factory';
import { REVERT_ACTION, RESTORE_ACTION } from '../events/library-entities';
import type { ReaderScope } from '../query/audit-query';
import { AuditQueryService } from '../query/audit-query.service';
import { liesInArchive, replayState } from '../query/state-replay';
import { InjectAuditStore } from '../storage/audit-store';
import { EntityStateReader } from '../storage/entity-state.reader';
import { findEventRows } from '../storage/event-rows.store';
import { defaultWritableFields, ORM_RESTORER, type AuditRestorer } from './audit-restorer';
import {
  decide,
  fieldsChangedBy,
  planChange,
  type RevertConflictPolicy,
  type RevertDecision,
  type RevertPlan,
} from './revert-plan';

/** Which point a restore returns the record to: a moment, or a position in its chain. */
export interface RestorePoint {
  at?: Date | null;
  chainSeq?: number | null;
}

export interface RevertOptions {
  /** What to do with fields changed since: refuse all (default), leave them, or write anyway. */
  onConflict?: RevertConflictPolicy;
  /** The trail head the caller's preview saw: refused (`AUDIT_REVERT_STALE`) if it moved since. */
  expectedHeadSeq?: number | null;
  /** Why, in the caller's words: recorded in the event's metadata. */
  reason?: string | null;
}

/** What a revert or restore would do, as of now. */
export interface RevertPreview {
  action: typeof REVERT_ACTION | typeof RESTORE_ACTION;
  entityType: string;
  entityId: string;
  /** The events undone: the reverted one, or every state change after a restore's point. */
  revertOf: string[];
  /** The record's trail head (chain_seq) the preview was made against: pass it as `expectedHeadSeq`. */
  headSeq: number;
  policy: RevertConflictPolicy;
  plan: RevertPlan;
  decision: RevertDecision;
}

export interface RevertOutcome {
  preview: RevertPreview;
  /** Whether anything was written (false when the record already had the wanted values). */
  applied: boolean;
  /** The audited operation's id, shared by the REVERT / RESTORE event(s) once sealed; null when nothing was written. */
  operationId: string | null;
}

type Target =
  | { kind: 'REVERT'; eventId: string }
  | { kind: 'RESTORE'; entityType: string; entityId: string; point: RestorePoint };

interface Located {
  action: RevertPreview['action'];
  entityType: string;
  entityId: string;
  meta: EntityMetadata;
  key: unknown;
  module: string | null;
}

const same = (a: unknown, b: unknown) => canonicalJsonText(a ?? null) === canonicalJsonText(b ?? null);
const refused = (code: AuditRevertRefusedError['code'], message: string, fields?: string[]) =>
  new AuditRevertRefusedError(code, message, fields);

/**
 * Revert one change, or restore a record to a point in its history, as an audited operation of its
 * own (docs/revert.md). The plan is made from the record's verified trail and its current row; the
 * write goes through the app's restorer for the entity, inside an audited call (action REVERT or
 * RESTORE, `metadata.revertOf`), so the row capture records it like any other change, and every
 * refused attempt is recorded as REVERT_FAILED / RESTORE_FAILED with the refusal's code.
 */
@Injectable()
export class AuditRevertService {
  private readonly restorers = new Map<string, AuditRestorer>();
  private readonly state = new EntityStateReader();

  constructor(
    private readonly orm: MikroORM,
    @InjectAuditStore() private readonly store: MikroORM,
    private readonly queries: AuditQueryService,
    private readonly runner: AuditedCallRunner,
    private readonly events: AuditEventFactory,
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
  ) {}

  /**
   * Applies reverts of `entity` through the app's own code (its validation and invariants), instead
   * of the default MikroORM `assign` + flush. Call it at startup (`onModuleInit`).
   */
  registerRestorer<T extends object>(
    entity: (abstract new (...args: never[]) => T) | string,
    restorer: AuditRestorer<T>,
  ): void {
    const name = typeof entity === 'string' ? entity : entity.name;
    if (!this.orm.getMetadata().getByClassName(name, false))
      throw new AuditableMisconfiguredError(
        `registerRestorer names "${name}", which MikroORM does not know.`,
      );
    this.restorers.set(name, restorer);
  }

  /** What reverting event `eventId` would do now. */
  async previewRevert(
    scope: ReaderScope,
    eventId: string,
    policy: RevertConflictPolicy = 'ABORT',
  ): Promise<RevertPreview> {
    const target: Target = { kind: 'REVERT', eventId };
    const located = await this.locate(scope, target);
    return this.preview(scope, target, located, policy);
  }

  /** What restoring the record to its state at `point` would do now. */
  async previewRestore(
    scope: ReaderScope,
    entityType: string,
    entityId: string,
    point: RestorePoint,
    policy: RevertConflictPolicy = 'ABORT',
  ): Promise<RevertPreview> {
    const target: Target = { kind: 'RESTORE', entityType, entityId, point };
    const located = await this.locate(scope, target);
    return this.preview(scope, target, located, policy);
  }

  /** Reverts event `eventId`: the fields it changed get their values before it. */
  revertChange(scope: ReaderScope, eventId: string, options: RevertOptions = {}): Promise<RevertOutcome> {
    return this.apply(scope, { kind: 'REVERT', eventId }, options);
  }

  /** Restores the record to its state at `point` (re-creating it when it was deleted since). */
  restoreEntity(
    scope: ReaderScope,
    entityType: string,
    entityId: string,
    point: RestorePoint,
    options: RevertOptions = {},
  ): Promise<RevertOutcome> {
    return this.apply(scope, { kind: 'RESTORE', entityType, entityId, point }, options);
  }

  private async apply(scope: ReaderScope, target: Target, options: RevertOptions): Promise<RevertOutcome> {
    const policy = options.onConflict ?? 'ABORT';
    const located = await this.locate(scope, target);
    // Planned before the audited call, so that its event's metadata can say what it does; checked
    // again under the row lock. A refusal here is thrown inside the call, so it is recorded too.
    let planned: RevertPreview | null = null;
    let failure: Error | null = null;
    try {
      planned = await this.preview(scope, target, located, policy);
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    }
    if (
      planned &&
      !planned.decision.blocked &&
      planned.decision.mode === 'NONE' &&
      (options.expectedHeadSeq == null || options.expectedHeadSeq === planned.headSeq)
    )
      return { preview: planned, applied: false, operationId: null };
    const operationId = uuidv7();
    const metadata: JsonObject = {
      revertOf: planned?.revertOf ?? (target.kind === 'REVERT' ? [target.eventId] : []),
      onConflict: policy,
      ...(planned && {
        appliedFields: planned.decision.applied.map((f) => f.field),
        skippedFields: planned.decision.skipped.map((f) => f.field),
      }),
      ...(target.kind === 'RESTORE' && {
        restoredTo: target.point.at
          ? { at: target.point.at.toISOString() }
          : { chainSeq: target.point.chainSeq ?? null },
      }),
      ...(options.expectedHeadSeq != null && { expectedHeadSeq: options.expectedHeadSeq }),
      ...(options.reason && { reason: options.reason }),
    };
    const write = async (): Promise<boolean> => {
      if (failure) throw failure;
      const preview = planned!;
      if (options.expectedHeadSeq != null && options.expectedHeadSeq !== preview.headSeq)
        throw refused(
          'AUDIT_REVERT_STALE',
          `${located.entityType} ${located.entityId} changed since the preview: its trail head is ${preview.headSeq}, not ${options.expectedHeadSeq}. Preview again.`,
        );
      const em = this.orm.em.getContext() as EntityManager;
      const entity = await this.state.lockedEntity(em, located.meta, located.key);
      const current = entity && this.masked(located, snapshotEntity(located.meta, entity));
      if (!same(current, preview.plan.current))
        throw refused(
          'AUDIT_REVERT_STALE',
          `${located.entityType} ${located.entityId} changed while the revert was planned. Preview again.`,
        );
      const { decision } = preview;
      if (decision.blocked) {
        const fields = decision.skipped.filter((f) => f.conflict).map((f) => f.field);
        throw refused(
          'AUDIT_REVERT_CONFLICT',
          `Changed since, by someone else: ${fields.join(', ')}. Choose SKIP_CONFLICTING or OVERWRITE, or preview again.`,
          fields,
        );
      }
      if (decision.mode === 'NONE') return false;
      const values = Object.fromEntries(decision.applied.map((f) => [f.field, f.restoreValue]));
      await this.restorerOf(located).restore({
        em,
        entityType: located.entityType,
        entityClass: located.meta.class,
        id: located.key,
        mode: decision.mode,
        values: decision.mode === 'DELETE' ? {} : values,
        entity,
      });
      return true;
    };
    const applied = (await this.runner.run(
      {
        entity: located.entityType,
        action: located.action,
        id: () => located.key,
        module: located.module ?? undefined,
        transactionCode: located.action === REVERT_ACTION ? 'AUDIT_REVERT' : 'AUDIT_RESTORE',
        metadata,
        // Every attempt is evidence: a refused revert is recorded whatever the module's default.
        recordFailures: true,
      },
      this,
      write,
      [],
      operationId,
    )) as boolean;
    return { preview: planned!, applied, operationId: applied ? operationId : null };
  }

  /** The record a target names, as the app's ORM knows it; refuses what the caller may not see. */
  private async locate(scope: ReaderScope, target: Target): Promise<Located> {
    if (target.kind === 'RESTORE') {
      const { at, chainSeq } = target.point;
      if ((at == null) === (chainSeq == null))
        throw new InvalidQueryInputError(
          'Give exactly one of at and chainSeq.',
          at == null ? 'at' : 'chainSeq',
        );
      if (chainSeq != null && (!Number.isInteger(chainSeq) || chainSeq < 0))
        throw new InvalidQueryInputError('chainSeq must be a non-negative integer.', 'chainSeq');
      return this.located(RESTORE_ACTION, target.entityType, target.entityId, null);
    }
    if (!isUuid(target.eventId)) throw new InvalidQueryInputError('eventId is not a UUID.', 'eventId');
    const [row] = await findEventRows(
      this.store.em.fork() as EntityManager,
      { id: target.eventId },
      { limit: 1 },
    );
    // NOTE: another tenant's event is answered exactly like a missing one: no existence leak.
    if (!row || (scope.tenantId !== null && row.tenant_id !== scope.tenantId))
      throw refused('NOT_FOUND', `No audit event ${target.eventId}.`);
    return this.located(REVERT_ACTION, row.entity_type, row.entity_id, row.module);
  }

  private located(
    action: Located['action'],
    entityType: string,
    entityId: string,
    module: string | null,
  ): Located {
    const meta = this.orm.getMetadata().getByClassName(entityType, false);
    if (!meta || meta.primaryKeys.length !== 1)
      throw refused(
        'AUDIT_NOT_REVERTIBLE',
        `${entityType} is not an entity of this application with a single-column key: it cannot be reverted.`,
      );
    const key = meta.properties[meta.primaryKeys[0]];
    const numeric = key.runtimeType === 'number';
    // NOTE: an id the key's column cannot hold is no record; PostgreSQL would fail the read instead.
    const uuid = key.columnTypes?.[0] === 'uuid' || key.type === 'uuid';
    if ((numeric && !/^-?\d+$/.test(entityId)) || (uuid && !isUuid(entityId)))
      throw refused('NOT_FOUND', `No ${entityType} ${entityId}.`);
    return { action, entityType, entityId, meta, key: numeric ? Number(entityId) : entityId, module };
  }

  /** The current state as the ledger would record it: a masked value never leaves the process. */
  private masked(located: Located, state: JsonObject): JsonObject {
    return this.events.maskerFor(located.meta.class).mask(state);
  }

  private restorerOf(located: Located): AuditRestorer {
    return this.restorers.get(located.entityType) ?? ORM_RESTORER;
  }

  private async preview(
    scope: ReaderScope,
    target: Target,
    located: Located,
    policy: RevertConflictPolicy,
  ): Promise<RevertPreview> {
    const { entityType, entityId } = located;
    const state = await this.state.currentState(this.orm.em.fork(), located.meta, located.key);
    const current = state && this.masked(located, state);
    const tenantField = this.options.tenantField;
    // NOTE: a record now in another tenant is answered like a missing one.
    if (scope.tenantId !== null && current && scalarText(current[tenantField]) !== scope.tenantId)
      throw refused('NOT_FOUND', `No ${entityType} ${entityId}.`);
    const { events, verification, archivedThrough } = await this.queries.verifiedTrail(
      scope,
      entityType,
      entityId,
    );
    const spec =
      target.kind === 'REVERT'
        ? this.revertSpec(target.eventId, events, archivedThrough, located)
        : this.restoreSpec(target.point, events, archivedThrough, located);
    const restorer = this.restorerOf(located);
    const writable = new Set(restorer.writable ?? defaultWritableFields(located.meta));
    const plan = planChange({ current, ...spec, writable: (field) => writable.has(field) });
    if (target.kind === 'REVERT' && spec.wanted !== null && spec.expected !== null && current === null)
      throw refused(
        'AUDIT_NOT_REVERTIBLE',
        `${entityType} ${entityId} was deleted since: restore it (restoreEntity) first.`,
      );
    if ((plan.mode === 'CREATE' || plan.mode === 'DELETE') && restorer.recreate === false)
      throw refused(
        'AUDIT_NOT_REVERTIBLE',
        `${entityType} records cannot be ${plan.mode === 'CREATE' ? 're-created' : 'deleted'} by a revert.`,
      );
    const decision = decide(plan, policy);
    if (
      scope.tenantId !== null &&
      decision.result &&
      scalarText(decision.result[tenantField]) !== scope.tenantId
    )
      throw refused(
        'AUDIT_NOT_REVERTIBLE',
        `The revert would move ${entityType} ${entityId} out of your tenant.`,
      );
    return {
      action: located.action,
      entityType,
      entityId,
      revertOf: spec.revertOf,
      headSeq: verification.headSeq,
      policy,
      plan,
      decision,
    };
  }

  /** Revert of one event: the fields it changed back to their values before it. */
  private revertSpec(
    eventId: string,
    events: SealedAuditEvent[],
    archivedThrough: number | undefined,
    located: Located,
  ) {
    const event = events.find((e) => e.id === eventId);
    if (!event) {
      if (archivedThrough !== undefined)
        throw new AuditArchivedError(
          `Event ${eventId} lies in an archived period: it can no longer be reverted.`,
        );
      throw refused('NOT_FOUND', `No audit event ${eventId}.`);
    }
    const fields = event.before && event.after ? fieldsChangedBy(event) : undefined;
    if ((event.before === null && event.after === null) || fields?.length === 0)
      throw refused(
        'AUDIT_NOT_REVERTIBLE',
        `Event ${eventId} (${event.action}) changed no field of ${located.entityType} ${located.entityId}: there is nothing to revert.`,
      );
    return {
      wanted: event.before,
      expected: event.after,
      later: events.filter((e) => e.chainSeq > event.chainSeq),
      fields,
      revertOf: [event.id],
    };
  }

  /** Restore: the state the trail replays to at the point, against the state at its head. */
  private restoreSpec(
    point: RestorePoint,
    events: SealedAuditEvent[],
    archivedThrough: number | undefined,
    located: Located,
  ) {
    const include = point.at
      ? (e: SealedAuditEvent) => new Date(e.occurredAt) <= point.at!
      : (e: SealedAuditEvent) => e.chainSeq <= point.chainSeq!;
    if (events.length === 0 && archivedThrough === undefined)
      throw refused('NOT_FOUND', `No ${located.entityType} ${located.entityId} in the audit trail.`);
    if (liesInArchive(events, archivedThrough, include))
      throw new AuditArchivedError(
        `${located.entityType} ${located.entityId} at that point lies in an archived period: it can no longer be restored from the live trail.`,
      );
    const later = events.filter((e) => !include(e));
    return {
      wanted: replayState(events, include),
      expected: replayState(events),
      later,
      fields: undefined,
      revertOf: later.filter((e) => e.before !== null || e.after !== null).map((e) => e.id),
    };
  }
}

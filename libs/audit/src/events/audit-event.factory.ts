import { Inject, Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { AUDIT_OPTIONS, MASKED_VALUE } from '../audit.constants';
import type { ResolvedAuditOptions } from '../audit-options.interface';
import { selectFields } from '../capture/entity-snapshot';
import { FieldMasker } from '../capture/field-masker';
import { scalarText } from '../capture/scalar-text';
import { boundEvent, boundJson } from '../capture/sealed-bounds';
import { fieldChanges, jsonPatch } from '../capture/snapshot-diff';
import { toJsonValue } from '../capture/to-json-value';
import type { AuditContextSnapshot } from '../context/audit-context';
import { maskedPropertiesOf } from '../decorators/audit-masked.decorator';
import { AuditableMisconfiguredError } from '../errors/auditable-misconfigured.error';
import type { AuditEvent, JsonObject } from './audit-event';
import type { RecordAuditEventInput } from './record-audit-event.input';

export interface EntityChange {
  action: string;
  entityType: string;
  entityClass?: unknown;
  entityId: string;
  before: JsonObject | null;
  after: JsonObject | null;
  module?: string | null;
  transactionCode?: string | null;
  metadata?: unknown;
  only?: string[];
  ignore?: string[];
}

const ACTION_NAME = /^[A-Z][A-Z0-9_]*$/;

/** Action of the event the sealer records when a record changed outside audited code. */
export const DRIFT_DETECTED = 'DRIFT_DETECTED';

/**
 * Builds events: ids, timestamps, masking, diffs. Every value is JSON-safe and masked on the way
 * out, then bounded (capture/sealed-bounds.ts): no string an event seals is longer than
 * `maxSealedStringBytes` or holds a NUL, whatever the input (issue #15), so the audit of a request
 * can never fail on, or be suppressed by, the request's own content.
 */
@Injectable()
export class AuditEventFactory {
  private readonly masker: FieldMasker;
  // One masker per entity class: built once, not on every audited call.
  private readonly entityMaskers = new WeakMap<object, FieldMasker>();

  constructor(@Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions) {
    this.masker = new FieldMasker(options.maskedFieldPattern, options.maskedFields);
  }

  forEntity(change: EntityChange, context: AuditContextSnapshot): AuditEvent {
    const masker = this.maskerFor(change.entityClass);
    const before = change.before && selectFields(change.before, change.only, change.ignore);
    const after = change.after && selectFields(change.after, change.only, change.ignore);
    const tenantField = this.options.tenantField;
    const entityTenant = scalarText(after?.[tenantField] ?? before?.[tenantField]);
    return this.bounded(
      {
        action: change.action,
        entityType: change.entityType,
        entityId: change.entityId,
        tenantId: entityTenant ?? context.tenantId,
        module: change.module ?? null,
        transactionCode: change.transactionCode ?? null,
        before: masker.mask(before),
        after: masker.mask(after),
        changes: fieldChanges(before, after, masker),
        patch: jsonPatch(before, after, masker),
        metadata: this.metadata(change.metadata, masker),
      },
      context,
      masker,
    );
  }

  forDomainEvent(input: RecordAuditEventInput, context: AuditContextSnapshot): AuditEvent {
    if (!ACTION_NAME.test(input.action)) {
      throw new AuditableMisconfiguredError(`Audit action "${input.action}" must be an upper-case name.`);
    }
    return this.bounded(
      {
        action: input.action,
        entityType: input.entityType,
        entityId: input.entityId,
        tenantId: input.tenantId === undefined ? context.tenantId : input.tenantId,
        module: input.module ?? null,
        transactionCode: input.transactionCode ?? null,
        before: null,
        after: null,
        changes: [],
        patch: [],
        metadata: this.metadata(input.metadata, this.masker),
      },
      input.actor ? { ...context, actor: input.actor } : context,
      this.masker,
    );
  }

  /**
   * The DRIFT_DETECTED event sealed just before `event`: the unaudited change from the previous
   * event's `after` to this event's `before`, on the fields that differ. Both are already masked
   * and bounded (bounding twice would neutralise the first pass's truncation markers).
   */
  forDrift(
    event: AuditEvent,
    previousAfter: JsonObject,
    fields: string[],
    context: AuditContextSnapshot,
  ): AuditEvent {
    const pick = (snapshot: JsonObject) => Object.fromEntries(fields.map((f) => [f, snapshot[f]]));
    const before = pick(previousAfter);
    const after = pick(event.before ?? {});
    return this.event(
      {
        action: DRIFT_DETECTED,
        entityType: event.entityType,
        entityId: event.entityId,
        tenantId: event.tenantId,
        module: event.module,
        transactionCode: null,
        before,
        after,
        changes: fieldChanges(before, after, this.masker),
        patch: jsonPatch(before, after, this.masker),
        metadata: { eventId: event.id, fields },
      },
      context,
    );
  }

  /** The masker of an entity class: the module's rules plus its `@AuditMasked()` properties. */
  maskerFor(entityClass: unknown): FieldMasker {
    if (typeof entityClass !== 'function') return this.masker;
    let masker = this.entityMaskers.get(entityClass);
    if (!masker) {
      masker = this.masker.withNames(maskedPropertiesOf(entityClass));
      this.entityMaskers.set(entityClass, masker);
    }
    return masker;
  }

  /** An `@Auditable` call's metadata as captured rows carry it: JSON-safe, masked, bounded. */
  metadataFor(metadata: unknown, entityClass: unknown): JsonObject {
    const masker = this.maskerFor(entityClass);
    return boundJson(
      this.metadata(metadata, masker),
      this.options.maxSealedStringBytes,
      (key) => masker.isMaskedName(key),
      MASKED_VALUE,
    ) as JsonObject;
  }

  private metadata(metadata: unknown, masker: FieldMasker): JsonObject {
    const value = toJsonValue(metadata ?? {});
    return masker.mask(
      value && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : { value },
    );
  }

  /** An event built from input, bounded once (capture/sealed-bounds.ts), after masking. */
  private bounded(
    body: Omit<AuditEvent, 'id' | 'occurredAt' | 'actor' | 'source'>,
    context: AuditContextSnapshot,
    masker: FieldMasker,
  ): AuditEvent {
    return boundEvent(
      this.event(body, context),
      this.options.maxSealedStringBytes,
      (key) => masker.isMaskedName(key),
      MASKED_VALUE,
    );
  }

  private event(
    body: Omit<AuditEvent, 'id' | 'occurredAt' | 'actor' | 'source'>,
    context: AuditContextSnapshot,
  ): AuditEvent {
    return {
      id: uuidv7(),
      occurredAt: new Date().toISOString(),
      actor: context.actor,
      ...body,
      source: context.source,
    };
  }
}

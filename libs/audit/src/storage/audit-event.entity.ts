import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { AUDIT_SCHEMA } from '../audit.constants';
import type {
  AuditSource,
  DatabaseFacts,
  EventOrigin,
  FieldChange,
  JsonObject,
  JsonPatchOperation,
} from '../events/audit-event';

/** A sealed event in `audit.events`: read-only for the application (see README "Guarantees"). */
@Entity({ schema: AUDIT_SCHEMA, tableName: 'events', readonly: true })
@Unique({ properties: ['entityType', 'entityId', 'chainSeq'] })
export class AuditEventEntity {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'text' })
  entityType!: string;

  @Property({ type: 'text' })
  entityId!: string;

  @Property({ type: 'bigint' })
  chainSeq!: string;

  @Property({ type: 'bigint', unique: true })
  globalSeq!: string;

  @Property({ type: 'text' })
  hashAlg!: string;

  @Property({ type: 'blob' })
  prevHash!: Buffer;

  @Property({ type: 'blob' })
  hash!: Buffer;

  @Property({ type: 'text', nullable: true })
  tenantId!: string | null;

  @Property({ type: 'text' })
  action!: string;

  @Property({ type: 'text' })
  actorType!: string;

  @Property({ type: 'text' })
  actorId!: string;

  @Property({ type: 'text', nullable: true })
  actorDisplay!: string | null;

  @Property({ type: 'text', nullable: true })
  module!: string | null;

  @Property({ type: 'text', nullable: true })
  transactionCode!: string | null;

  @Property({ type: 'Date', columnType: 'timestamptz(3)' })
  occurredAt!: Date;

  @Property({ type: 'Date', columnType: 'timestamptz(3)' })
  recordedAt!: Date;

  @Property({ type: 'json', nullable: true })
  before!: JsonObject | null;

  @Property({ type: 'json', nullable: true })
  after!: JsonObject | null;

  @Property({ type: 'json' })
  changes!: FieldChange[];

  @Property({ type: 'json' })
  patch!: JsonPatchOperation[];

  @Property({ type: 'text[]' })
  changedFields!: string[];

  @Property({ type: 'json' })
  source!: AuditSource;

  @Property({ type: 'text', nullable: true })
  requestId!: string | null;

  @Property({ type: 'json' })
  metadata!: JsonObject;

  @Property({ type: 'uuid', nullable: true })
  operationId!: string | null;

  @Property({ type: 'text', nullable: true })
  origin!: EventOrigin | null;

  @Property({ type: 'json', nullable: true })
  databaseFacts!: DatabaseFacts | null;

  @Property({ type: 'bigint', nullable: true })
  batchTreeSize!: string | null;

  @Property({ type: 'text', nullable: true })
  keySetId!: string | null;

  @Property({ type: 'text', nullable: true })
  keyId!: string | null;
}

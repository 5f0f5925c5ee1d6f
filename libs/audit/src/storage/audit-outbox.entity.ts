import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { AUDIT_SCHEMA } from '../audit.constants';
import type { AuditEvent } from '../events/audit-event';

/**
 * An event committed with its business change and not sealed yet (the transactional outbox).
 * `seq` orders the events of one entity in commit order: the before-snapshot's row lock is held
 * until commit, so a later event of the same entity always gets a larger `seq`.
 */
@Entity({ schema: AUDIT_SCHEMA, tableName: 'outbox' })
@Index({ properties: ['entityType', 'entityId', 'seq'] })
export class AuditOutboxEntity {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  seq?: string;

  @Property({ type: 'uuid', unique: true })
  id!: string;

  @Property({ type: 'text' })
  entityType!: string;

  @Property({ type: 'text' })
  entityId!: string;

  @Property({ type: 'json' })
  payload!: AuditEvent;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt?: Date;
}

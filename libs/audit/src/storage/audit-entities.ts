import { AuditEventEntity } from './audit-event.entity';
import { AuditOutboxEntity } from './audit-outbox.entity';

/** Every MikroORM entity of the library: add them to the app's `entities` unless it uses `autoLoadEntities`. */
export const AUDIT_ENTITIES = [AuditEventEntity, AuditOutboxEntity];

import type { EntityManager, QBFilterQuery, QueryOrderMap } from '@mikro-orm/postgresql';
import { AuditEventEntity } from './audit-event.entity';
import type { EventRow } from './sealed-event.mapper';

/**
 * Events matching a filter, as raw rows: reads that verify or page through thousands of events
 * skip entity hydration, which costs several times the query itself.
 */
export async function findEventRows(
  em: EntityManager,
  where: QBFilterQuery<AuditEventEntity>,
  options: { orderBy?: QueryOrderMap<AuditEventEntity>; limit?: number } = {},
): Promise<EventRow[]> {
  const qb = em.createQueryBuilder(AuditEventEntity).select('*').where(where);
  if (options.orderBy) qb.orderBy(options.orderBy);
  if (options.limit !== undefined) qb.limit(options.limit);
  return qb.execute<EventRow[]>('all', false);
}

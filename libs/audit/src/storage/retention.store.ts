import type { LegalHold, RetentionRule } from '../archive/retention';
import { type SqlSession } from './sql-session';

interface RuleRow {
  id: string;
  tenant_id: string | null;
  entity_type: string | null;
  archive_after_days: number;
  reason: string;
  created_by: string;
  created_at: string | Date;
}
interface HoldRow {
  id: string;
  tenant_id: string | null;
  entity_type: string | null;
  entity_id: string | null;
  reason: string;
  created_by: string;
  created_at: string | Date;
  released_at: string | Date | null;
  released_by: string | null;
}

/** How many events of one (tenant, entity type) a partition holds. */
export interface PartitionGroup {
  tenant_id: string | null;
  entity_type: string;
  events: string;
}

const toRule = (r: RuleRow): RetentionRule => ({
  id: String(r.id),
  tenantId: r.tenant_id,
  entityType: r.entity_type,
  archiveAfterDays: r.archive_after_days,
  reason: r.reason,
  createdBy: r.created_by,
  createdAt: new Date(r.created_at),
});
const toHold = (r: HoldRow): LegalHold => ({
  id: String(r.id),
  tenantId: r.tenant_id,
  entityType: r.entity_type,
  entityId: r.entity_id,
  reason: r.reason,
  createdBy: r.created_by,
  createdAt: new Date(r.created_at),
  releasedAt: r.released_at === null ? null : new Date(r.released_at),
  releasedBy: r.released_by,
});

/** The rules in force: the newest of each scope (older rows of a scope are its history). */
export async function retentionRules(db: SqlSession): Promise<RetentionRule[]> {
  const rows = await db.raw<{ rows: RuleRow[] }>(
    `select distinct on (tenant_id, entity_type) * from audit.retention_rules
     order by tenant_id nulls first, entity_type nulls first, id desc`,
  );
  return rows.rows.map(toRule);
}

export async function insertRetentionRule(
  db: SqlSession,
  rule: {
    tenantId: string | null;
    entityType: string | null;
    archiveAfterDays: number;
    reason: string;
    createdBy: string;
  },
): Promise<RetentionRule> {
  const rows = await db.raw<{ rows: RuleRow[] }>(
    `insert into audit.retention_rules (tenant_id, entity_type, archive_after_days, reason, created_by)
     values (?, ?, ?, ?, ?) returning *`,
    [rule.tenantId, rule.entityType, rule.archiveAfterDays, rule.reason, rule.createdBy],
  );
  return toRule(rows.rows[0]);
}

/** Legal holds, newest first; released ones too when asked. */
export async function legalHolds(db: SqlSession, includeReleased: boolean): Promise<LegalHold[]> {
  const rows = await db.raw<{ rows: HoldRow[] }>(
    `select * from audit.legal_holds ${includeReleased ? '' : 'where released_at is null'} order by id desc`,
  );
  return rows.rows.map(toHold);
}

export async function insertLegalHold(
  db: SqlSession,
  hold: {
    tenantId: string | null;
    entityType: string | null;
    entityId: string | null;
    reason: string;
    createdBy: string;
  },
): Promise<LegalHold> {
  const rows = await db.raw<{ rows: HoldRow[] }>(
    `insert into audit.legal_holds (tenant_id, entity_type, entity_id, reason, created_by)
     values (?, ?, ?, ?, ?) returning *`,
    [hold.tenantId, hold.entityType, hold.entityId, hold.reason, hold.createdBy],
  );
  return toHold(rows.rows[0]);
}

/** The hold as released, or null when there is no active hold `id` (unknown or already released). */
export async function releaseLegalHold(db: SqlSession, id: string, by: string): Promise<LegalHold | null> {
  const rows = await db.raw<{ rows: HoldRow[] }>(
    'update audit.legal_holds set released_at = now(), released_by = ? where id = ? and released_at is null returning *',
    [by, id],
  );
  return rows.rows[0] ? toHold(rows.rows[0]) : null;
}

/** The (tenant, entity type) groups of a monthly partition's events, sorted. */
export async function partitionGroups(db: SqlSession, partition: string): Promise<PartitionGroup[]> {
  const rows = await db.raw<{ rows: PartitionGroup[] }>(
    `select tenant_id, entity_type, count(*) as events from "audit"."${partition}" group by 1, 2 order by 1, 2`,
  );
  return rows.rows;
}

/** Whether a partition holds any event of the one record a hold names (in its tenant, if it has one). */
export async function partitionHasRecord(
  db: SqlSession,
  partition: string,
  hold: Pick<LegalHold, 'tenantId' | 'entityType' | 'entityId'>,
): Promise<boolean> {
  const hit = await db.raw<{ rows: unknown[] }>(
    `select 1 from "audit"."${partition}" where entity_type = ? and entity_id = ? and (?::text is null or tenant_id = ?) limit 1`,
    [hold.entityType, hold.entityId, hold.tenantId, hold.tenantId],
  );
  return hit.rows.length > 0;
}

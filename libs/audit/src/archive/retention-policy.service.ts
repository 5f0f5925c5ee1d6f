import { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { AuditContextService } from '../context/audit-context.service';
import { InvalidRetentionInputError } from '../errors/invalid-retention-input.error';
import { StoreEventRecorder } from '../outbox/store-event.recorder';
import { InjectAuditStore } from '../storage/audit-store';
import type { LegalHold, PartitionDecision, RetentionRule } from './retention';
import { type SqlSession, sqlOf } from '../storage/sql-session';

export const RETENTION_ENTITY = 'audit.retention';
export const LEGAL_HOLD_ENTITY = 'audit.legal-hold';
const DAY_MS = 86_400_000;

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
const scope = (tenantId: string | null, entityType: string | null) =>
  `tenant=${tenantId ?? '*'} type=${entityType ?? '*'}`;
/** The most specific rule first: tenant and type, tenant, type, everything. */
const specificity = (r: RetentionRule) => (r.tenantId ? 2 : 0) + (r.entityType ? 1 : 0);

/**
 * The retention policy: which events may leave the live store, and when. Rules are kept per
 * scope (a tenant, an entity type, both, or everything; the newest rule of a scope is in force,
 * older ones stay as history); legal holds block archival of what they cover until released.
 * Nothing is archived that no rule covers. Every change is an audit event in the same
 * transaction.
 */
@Injectable()
export class RetentionPolicy {
  constructor(
    @InjectAuditStore() private readonly orm: MikroORM,
    private readonly recorder: StoreEventRecorder,
    private readonly context: AuditContextService,
  ) {}

  /** The rules in force: the newest of each scope. */
  async rules(db: SqlSession = this.db()): Promise<RetentionRule[]> {
    const rows = await db.raw<{ rows: RuleRow[] }>(
      `select distinct on (tenant_id, entity_type) * from audit.retention_rules
       order by tenant_id nulls first, entity_type nulls first, id desc`,
    );
    return rows.rows.map(toRule);
  }

  async setRule(input: {
    tenantId?: string | null;
    entityType?: string | null;
    archiveAfterDays: number;
    reason: string;
  }): Promise<RetentionRule> {
    if (!Number.isInteger(input.archiveAfterDays) || input.archiveAfterDays < 0)
      throw new InvalidRetentionInputError(
        `archiveAfterDays must be a whole number of days, 0 or more (got ${input.archiveAfterDays}).`,
      );
    const reason = this.reasonOf(input.reason);
    return this.transaction(async (em, by) => {
      const [row] = await em.execute<RuleRow[]>(
        `insert into audit.retention_rules (tenant_id, entity_type, archive_after_days, reason, created_by)
         values (?, ?, ?, ?, ?) returning *`,
        [input.tenantId ?? null, input.entityType ?? null, input.archiveAfterDays, reason, by],
      );
      const rule = toRule(row);
      await this.recorder.record(em, {
        action: 'RETENTION_RULE_SET',
        entityType: RETENTION_ENTITY,
        entityId: scope(rule.tenantId, rule.entityType),
        metadata: { ruleId: rule.id, archiveAfterDays: rule.archiveAfterDays, reason },
      });
      return rule;
    });
  }

  /** Legal holds, newest first; released ones too when asked. */
  async holds(includeReleased = false, db: SqlSession = this.db()): Promise<LegalHold[]> {
    const rows = await db.raw<{ rows: HoldRow[] }>(
      `select * from audit.legal_holds ${includeReleased ? '' : 'where released_at is null'} order by id desc`,
    );
    return rows.rows.map(toHold);
  }

  async placeHold(input: {
    tenantId?: string | null;
    entityType?: string | null;
    entityId?: string | null;
    reason: string;
  }): Promise<LegalHold> {
    if (input.entityId && !input.entityType)
      throw new InvalidRetentionInputError('A hold on one record names its entity type too (--entity-type).');
    const reason = this.reasonOf(input.reason);
    return this.transaction(async (em, by) => {
      const [row] = await em.execute<HoldRow[]>(
        `insert into audit.legal_holds (tenant_id, entity_type, entity_id, reason, created_by)
         values (?, ?, ?, ?, ?) returning *`,
        [input.tenantId ?? null, input.entityType ?? null, input.entityId ?? null, reason, by],
      );
      const hold = toHold(row);
      await this.recorder.record(em, {
        action: 'LEGAL_HOLD_PLACED',
        entityType: LEGAL_HOLD_ENTITY,
        entityId: hold.id,
        metadata: { tenantId: hold.tenantId, entityType: hold.entityType, entityId: hold.entityId, reason },
      });
      return hold;
    });
  }

  async releaseHold(id: string, reason: string): Promise<LegalHold> {
    const why = this.reasonOf(reason);
    if (!/^[1-9][0-9]*$/.test(id)) throw new InvalidRetentionInputError(`"${id}" is not a legal hold id.`);
    return this.transaction(async (em, by) => {
      const rows = await em.execute<HoldRow[]>(
        'update audit.legal_holds set released_at = now(), released_by = ? where id = ? and released_at is null returning *',
        [by, id],
      );
      if (!rows[0])
        throw new InvalidRetentionInputError(`No active legal hold ${id}: unknown or already released.`);
      await this.recorder.record(em, {
        action: 'LEGAL_HOLD_RELEASED',
        entityType: LEGAL_HOLD_ENTITY,
        entityId: id,
        metadata: { reason: why },
      });
      return toHold(rows[0]);
    });
  }

  /**
   * Whether a monthly partition may be archived at `now`: every (tenant, entity type) in it must
   * be covered by a rule whose time has come, and no active hold may cover any of its events.
   */
  async decide(
    db: SqlSession,
    partition: Omit<PartitionDecision, 'allowed' | 'blockers'>,
    now: Date,
  ): Promise<PartitionDecision> {
    const blockers: string[] = [];
    const table = `"audit"."${partition.partition}"`;
    const groups = (
      await db.raw<{ rows: { tenant_id: string | null; entity_type: string; events: string }[] }>(
        `select tenant_id, entity_type, count(*) as events from ${table} group by 1, 2 order by 1, 2`,
      )
    ).rows;
    const rules = (await this.rules(db)).sort((a, b) => specificity(b) - specificity(a));
    const holds = await this.holds(false, db);
    for (const g of groups) {
      const rule = rules.find(
        (r) =>
          (r.tenantId === null || r.tenantId === g.tenant_id) &&
          (r.entityType === null || r.entityType === g.entity_type),
      );
      const what = `${g.events} event(s) of ${scope(g.tenant_id, g.entity_type)}`;
      if (!rule) {
        blockers.push(`no retention rule covers ${what}`);
      } else {
        const due = new Date(partition.periodEnd.getTime() + rule.archiveAfterDays * DAY_MS);
        if (due > now) blockers.push(`rule ${rule.id} keeps ${what} live until ${due.toISOString()}`);
      }
      for (const h of holds) {
        if (h.entityId !== null) continue;
        if (
          (h.tenantId === null || h.tenantId === g.tenant_id) &&
          (h.entityType === null || h.entityType === g.entity_type)
        )
          blockers.push(`legal hold ${h.id} (${h.reason}) covers ${what}`);
      }
    }
    for (const h of holds.filter((x) => x.entityId !== null)) {
      const hit = await db.raw<{ rows: unknown[] }>(
        `select 1 from ${table} where entity_type = ? and entity_id = ? and (?::text is null or tenant_id = ?) limit 1`,
        [h.entityType, h.entityId, h.tenantId, h.tenantId],
      );
      if (hit.rows.length)
        blockers.push(`legal hold ${h.id} (${h.reason}) covers ${h.entityType} ${h.entityId}`);
    }
    return { ...partition, allowed: blockers.length === 0, blockers: [...new Set(blockers)] };
  }

  private db(): SqlSession {
    return sqlOf(this.orm.em);
  }

  private reasonOf(reason: string): string {
    const trimmed = reason?.trim() ?? '';
    if (!trimmed)
      throw new InvalidRetentionInputError('Give a reason (--reason): retention changes are audited.');
    return trimmed;
  }

  private transaction<T>(fn: (em: EntityManager, by: string) => Promise<T>): Promise<T> {
    const { actor } = this.context.snapshot();
    const by = `${actor.type}:${actor.display ?? actor.id}`;
    return (this.orm.em.fork() as EntityManager).transactional((em) => fn(em, by));
  }
}

import { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { AuditContextService } from '../context/audit-context.service';
import { InvalidRetentionInputError } from '../errors/invalid-retention-input.error';
import { StoreEventRecorder } from '../outbox/store-event.recorder';
import { InjectAuditStore } from '../storage/audit-store';
import type { LegalHold, PartitionDecision, RetentionRule } from './retention';
import {
  insertLegalHold,
  insertRetentionRule,
  legalHolds,
  partitionGroups,
  partitionHasRecord,
  releaseLegalHold,
  retentionRules,
} from '../storage/retention.store';
import { type SqlSession, sqlIn, sqlOf } from '../storage/sql-session';

export const RETENTION_ENTITY = 'audit.retention';
export const LEGAL_HOLD_ENTITY = 'audit.legal-hold';
const DAY_MS = 86_400_000;

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
    return retentionRules(db);
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
      const rule = await insertRetentionRule(sqlIn(em), {
        tenantId: input.tenantId ?? null,
        entityType: input.entityType ?? null,
        archiveAfterDays: input.archiveAfterDays,
        reason,
        createdBy: by,
      });
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
    return legalHolds(db, includeReleased);
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
      const hold = await insertLegalHold(sqlIn(em), {
        tenantId: input.tenantId ?? null,
        entityType: input.entityType ?? null,
        entityId: input.entityId ?? null,
        reason,
        createdBy: by,
      });
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
      const released = await releaseLegalHold(sqlIn(em), id, by);
      if (!released)
        throw new InvalidRetentionInputError(`No active legal hold ${id}: unknown or already released.`);
      await this.recorder.record(em, {
        action: 'LEGAL_HOLD_RELEASED',
        entityType: LEGAL_HOLD_ENTITY,
        entityId: id,
        metadata: { reason: why },
      });
      return released;
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
    const groups = await partitionGroups(db, partition.partition);
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
      if (await partitionHasRecord(db, partition.partition, h))
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

import { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { AuditEvent } from '../events/audit-event';

interface OutboxRow {
  id: string;
  payload: AuditEvent;
}

/**
 * Moves an entity's committed events from the outbox into `audit.events`, in commit order, each
 * with the next `chain_seq`. The entity's chain-head row is locked first, so any number of sealers
 * (threads or processes) can run at once: one entity's events are sealed by one sealer at a time,
 * with no gap. Idempotent: an event already sealed is never sealed again.
 */
@Injectable()
export class EventSealer {
  constructor(private readonly orm: MikroORM) {}

  /** Seals every pending event of one entity; returns how many were sealed. */
  async sealEntity(entityType: string, entityId: string): Promise<number> {
    const knex = (this.orm.em as EntityManager).getKnex();
    return knex.transaction(async (trx) => {
      const key = [entityType, entityId];
      await trx.raw(
        'insert into audit.chain_heads (entity_type, entity_id) values (?, ?) on conflict do nothing',
        key,
      );
      const head = await trx.raw<{ rows: { last_seq: string }[] }>(
        'select last_seq from audit.chain_heads where entity_type = ? and entity_id = ? for update',
        key,
      );
      const pending = await trx.raw<{ rows: OutboxRow[] }>(
        'select id, payload from audit.outbox where entity_type = ? and entity_id = ? order by seq',
        key,
      );
      if (pending.rows.length === 0) return 0;
      const ids = pending.rows.map((r) => r.id);
      const sealed = await trx.raw<{ rows: { id: string }[] }>(
        'select id from audit.events where id = any(?::uuid[])',
        [ids],
      );
      const already = new Set(sealed.rows.map((r) => r.id));
      let seq = Number(head.rows[0].last_seq);
      const rows = pending.rows.filter((r) => !already.has(r.id)).map((r) => toRow(r.payload, ++seq));
      if (rows.length > 0) {
        await trx.raw(
          `insert into audit.events (${COLUMNS.join(', ')})
           select ${COLUMNS.join(', ')} from jsonb_to_recordset(?::jsonb) as r(${COLUMN_TYPES})`,
          [JSON.stringify(rows)],
        );
        await trx.raw(
          'update audit.chain_heads set last_seq = ?, updated_at = now() where entity_type = ? and entity_id = ?',
          [seq, ...key],
        );
      }
      await trx.raw('delete from audit.outbox where id = any(?::uuid[])', [ids]);
      return rows.length;
    });
  }
}

const COLUMN_DEFS: [string, string][] = [
  ['id', 'uuid'],
  ['entity_type', 'text'],
  ['entity_id', 'text'],
  ['chain_seq', 'bigint'],
  ['tenant_id', 'text'],
  ['action', 'text'],
  ['actor_type', 'text'],
  ['actor_id', 'text'],
  ['actor_display', 'text'],
  ['module', 'text'],
  ['transaction_code', 'text'],
  ['occurred_at', 'timestamptz'],
  ['before', 'jsonb'],
  ['after', 'jsonb'],
  ['changes', 'jsonb'],
  ['patch', 'jsonb'],
  ['changed_fields', 'text[]'],
  ['source', 'jsonb'],
  ['request_id', 'text'],
  ['metadata', 'jsonb'],
];
const COLUMNS = COLUMN_DEFS.map(([name]) => name);
const COLUMN_TYPES = COLUMN_DEFS.map(([name, type]) => `${name} ${type}`).join(', ');

function toRow(e: AuditEvent, chainSeq: number): Record<string, unknown> {
  return {
    id: e.id,
    entity_type: e.entityType,
    entity_id: e.entityId,
    chain_seq: chainSeq,
    tenant_id: e.tenantId,
    action: e.action,
    actor_type: e.actor.type,
    actor_id: e.actor.id,
    actor_display: e.actor.display,
    module: e.module,
    transaction_code: e.transactionCode,
    occurred_at: e.occurredAt,
    before: e.before,
    after: e.after,
    changes: e.changes,
    patch: e.patch,
    changed_fields: e.changes.map((c) => c.field),
    source: e.source,
    request_id: e.source.requestId,
    metadata: e.metadata,
  };
}

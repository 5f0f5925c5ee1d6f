import { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { appendLeaf, rangeRoot, type CompactRange } from '../crypto/compact-range';
import { eventHash, EVENT_HASH_ALG, GENESIS_HASH } from '../crypto/event-hash';
import { merkleLeafHash } from '../crypto/merkle';
import type { AuditEvent } from '../events/audit-event';
import { normalizeEvent } from '../events/normalize-event';

interface OutboxRow {
  id: string;
  payload: AuditEvent;
}

/**
 * Moves an entity's committed events from the outbox into `audit.events`, in commit order, each
 * with the next `chain_seq`, the previous event's hash and its own, and the next `global_seq`;
 * each event's hash becomes the next leaf of the global Merkle log, whose root the log head keeps.
 * The entity's chain-head row is locked first and the log head last (one fixed lock order, so
 * sealers never deadlock): any number of sealers (threads or processes) can run at once, one
 * entity's events are sealed by one sealer at a time, and neither sequence has gaps.
 * Idempotent: an event already sealed is never sealed again.
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
      const head = await trx.raw<{ rows: { last_seq: string; last_hash: Buffer | null }[] }>(
        'select last_seq, last_hash from audit.chain_heads where entity_type = ? and entity_id = ? for update',
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
      const fresh = pending.rows.filter((r) => !already.has(r.id));
      let seq = Number(head.rows[0].last_seq);
      let prev = head.rows[0].last_hash ?? GENESIS_HASH;
      const chained = fresh.map(({ payload }) => {
        const event = normalizeEvent(payload);
        const hash = eventHash(event, ++seq, prev);
        const link = { event, chainSeq: seq, prevHash: prev, hash };
        prev = hash;
        return link;
      });
      await trx.raw('delete from audit.outbox where id = any(?::uuid[])', [ids]);
      if (chained.length > 0) {
        await trx.raw(
          'update audit.chain_heads set last_seq = ?, last_hash = ?, updated_at = now() where entity_type = ? and entity_id = ?',
          [seq, prev, ...key],
        );
        // NOTE: the global lock is taken last and held for three statements: every sealer in
        // every process queues on this row, so nothing else may run while it is held.
        const log = await trx.raw<{ rows: { tree_size: string; compact_range: string[] }[] }>(
          'select tree_size, compact_range from audit.log_head for update',
        );
        let globalSeq = Number(log.rows[0].tree_size);
        let range: CompactRange = log.rows[0].compact_range.map((h) => Buffer.from(h, 'hex'));
        const rows = chained.map((link) => {
          range = appendLeaf(range, globalSeq, merkleLeafHash(link.hash));
          return toRow(link.event, { ...link, globalSeq: ++globalSeq });
        });
        await trx.raw(
          `insert into audit.events (${COLUMNS.join(', ')})
           select ${SELECTED.join(', ')} from jsonb_to_recordset(?::jsonb) as r(${COLUMN_TYPES})`,
          [JSON.stringify(rows)],
        );
        await trx.raw(
          'update audit.log_head set tree_size = ?, compact_range = ?::jsonb, root_hash = ?, updated_at = now()',
          [globalSeq, JSON.stringify(range.map((h) => h.toString('hex'))), rangeRoot(range)],
        );
      }
      return fresh.length;
    });
  }
}

const COLUMN_DEFS: [string, string][] = [
  ['id', 'uuid'],
  ['entity_type', 'text'],
  ['entity_id', 'text'],
  ['chain_seq', 'bigint'],
  ['global_seq', 'bigint'],
  ['hash_alg', 'text'],
  ['prev_hash', 'bytea'],
  ['hash', 'bytea'],
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
// Hashes travel through JSON as hex text and are decoded into bytea.
const SELECTED = COLUMN_DEFS.map(([name, type]) => (type === 'bytea' ? `decode(${name}, 'hex')` : name));
const COLUMN_TYPES = COLUMN_DEFS.map(([name, type]) => `${name} ${type === 'bytea' ? 'text' : type}`).join(
  ', ',
);

interface ChainPosition {
  chainSeq: number;
  globalSeq: number;
  prevHash: Buffer;
  hash: Buffer;
}

function toRow(
  e: AuditEvent,
  { chainSeq, globalSeq, prevHash, hash }: ChainPosition,
): Record<string, unknown> {
  return {
    id: e.id,
    entity_type: e.entityType,
    entity_id: e.entityId,
    chain_seq: chainSeq,
    global_seq: globalSeq,
    hash_alg: EVENT_HASH_ALG,
    prev_hash: prevHash.toString('hex'),
    hash: hash.toString('hex'),
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

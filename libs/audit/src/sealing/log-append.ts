import { signCheckpoint } from '../crypto/checkpoint';
import { appendLeaf, rangeRoot, type CompactRange } from '../crypto/compact-range';
import { EVENT_HASH_ALG } from '../crypto/event-hash';
import { entityKey } from '../crypto/head-map';
import { headLine } from '../crypto/log-statements';
import { merkleLeafHash } from '../crypto/merkle';
import type { NoteSigner } from '../crypto/signed-note';
import { PoisonEventError } from '../errors/poison-event.error';
import type { AuditEvent } from '../events/audit-event';
import { appendEventsAndBatches, type LogUpdate } from '../storage/log-append.store';
import { type SqlSession } from '../storage/sql-session';

/** An event with its place in its entity's chain. */
export interface ChainLink {
  event: AuditEvent;
  chainSeq: number;
  prevHash: Buffer;
  hash: Buffer;
}

/**
 * A sealing transaction's appends, prepared before the log head is locked: one group per entity
 * (each group is one batch of the log, with its own signed statement), the rows serialised with
 * positions relative to the tree size found under the lock. Serialising a few thousand events is,
 * after the insert itself, the costliest step, and nothing slow may run under that lock.
 */
export interface PreparedAppend {
  rowsJson: string;
  leaves: Buffer[];
  /** Each group's last event (its chain head) and its offset in the transaction (1-based). */
  heads: { link: ChainLink; end: number }[];
}

export function prepareAppend(groups: ChainLink[][], keySetId: string): PreparedAppend {
  const rows: Record<string, unknown>[] = [];
  const leaves: Buffer[] = [];
  const heads: PreparedAppend['heads'] = [];
  for (const group of groups) {
    const end = rows.length + group.length;
    for (const link of group) {
      leaves.push(merkleLeafHash(link.hash));
      rows.push(toRow(link, rows.length + 1, end, keySetId));
    }
    heads.push({ link: group[group.length - 1], end });
  }
  return { rowsJson: JSON.stringify(rows), leaves, heads };
}

/** The log head as the sealer locks it. */
export interface LogHead {
  treeSize: number;
  range: CompactRange;
  keyId: string;
}

/**
 * Appends the prepared groups to the log whose locked head is `head`: the leaves extend the
 * compact range, each group's batch statement (tree size, root, the entity's chain head) is signed,
 * and the events, the statements and the new log head are written in one statement. Returns the
 * new tree size.
 */
export async function appendPrepared(
  trx: SqlSession,
  prepared: PreparedAppend,
  head: LogHead,
  signing: { signer: NoteSigner; origin: string },
): Promise<number> {
  let range = head.range;
  let size = head.treeSize;
  const time = new Date();
  const batches = prepared.heads.map(({ link, end }) => {
    for (; size < head.treeSize + end; size++)
      range = appendLeaf(range, size, prepared.leaves[size - head.treeSize]);
    const { event, chainSeq, hash } = link;
    const note = signCheckpoint(
      {
        origin: signing.origin,
        size,
        root: rangeRoot(range),
        time,
        extensions: [headLine({ key: entityKey(event.entityType, event.entityId), chainSeq, hash })],
      },
      signing.signer,
    );
    return {
      tree_size: size,
      entity_type: event.entityType,
      entity_id: event.entityId,
      head_seq: chainSeq,
      note,
    };
  });
  await appendBatches(trx, prepared.rowsJson, JSON.stringify(batches), {
    base: head.treeSize,
    keyId: head.keyId,
    treeSize: size,
    compactRange: JSON.stringify(range.map((h) => h.toString('hex'))),
    root: rangeRoot(range),
  });
  return size;
}

/**
 * Appends the rows in one statement. PostgreSQL rejecting the rows' data (SQLSTATE class 22, data
 * exception, or 23, integrity violation) fails on every retry: that makes the batch poison. The
 * message names the SQLSTATE, not PostgreSQL's text, which may quote the offending value.
 */
async function appendBatches(trx: SqlSession, rowsJson: string, batchesJson: string, u: LogUpdate) {
  try {
    await appendEventsAndBatches(trx, rowsJson, batchesJson, u);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && /^2[23]/.test(code)) {
      throw new PoisonEventError(`PostgreSQL rejected the event row (SQLSTATE ${code}).`, { cause: error });
    }
    throw error;
  }
}

/** An event row; `global_seq` (1-based) and `batch_tree_size` are offsets within the transaction. */
function toRow(
  { event: e, chainSeq, prevHash, hash }: ChainLink,
  offset: number,
  batchEnd: number,
  keySetId: string,
): Record<string, unknown> {
  return {
    id: e.id,
    entity_type: e.entityType,
    entity_id: e.entityId,
    chain_seq: chainSeq,
    global_seq: offset,
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
    operation_id: e.operationId ?? null,
    origin: e.origin ?? null,
    database_facts: e.database ?? null,
    batch_tree_size: batchEnd,
    key_set_id: keySetId,
  };
}

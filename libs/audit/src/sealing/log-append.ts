import { signCheckpoint } from '../crypto/checkpoint';
import { appendLeafInPlace, rangeRoot, type CompactRange } from '../crypto/compact-range';
import { EVENT_HASH_ALG } from '../crypto/event-hash';
import { entityKey } from '../crypto/head-map';
import { headLine, movedHeads, movedLine, type EntityHead, type MovedHeads } from '../crypto/log-statements';
import { merkleLeafHash } from '../crypto/merkle';
import type { NoteSigner } from '../crypto/signed-note';
import { PoisonEventError } from '../errors/poison-event.error';
import type { AuditEvent } from '../events/audit-event';
import { appendBatches, appendEvents } from '../storage/log-append.store';
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
 * (each group is one batch of the log), the rows serialised with positions relative to the tree
 * size found under the lock, and (format v2) the moved heads' tree with each head's proof.
 * Serialising a few thousand events is, after the insert itself, the costliest step, and nothing
 * slow may run under that lock.
 */
export interface PreparedAppend {
  rowsJson: string;
  leaves: Buffer[];
  /** Each group's last event (its chain head), its offset in the transaction (1-based), its proof. */
  heads: { link: ChainLink; head: EntityHead; end: number; proof: Buffer[] }[];
  /** v2: what the transaction's one statement commits to; null for v1 (a statement per group). */
  moved: MovedHeads | null;
}

export function prepareAppend(groups: ChainLink[][], keySetId: string, format: 1 | 2 = 2): PreparedAppend {
  const rows: Record<string, unknown>[] = [];
  const leaves: Buffer[] = [];
  const ends: { link: ChainLink; head: EntityHead; end: number }[] = [];
  for (const group of groups) {
    const end = rows.length + group.length;
    for (const link of group) {
      leaves.push(merkleLeafHash(link.hash));
      rows.push(toRow(link, rows.length + 1, end, keySetId));
    }
    const link = group[group.length - 1];
    const { event, chainSeq, hash } = link;
    ends.push({ link, head: { key: entityKey(event.entityType, event.entityId), chainSeq, hash }, end });
  }
  const tree = format === 2 ? movedHeads(ends.map((e) => e.head)) : null;
  return {
    rowsJson: JSON.stringify(rows),
    leaves,
    heads: ends.map((e, i) => ({ ...e, proof: tree?.proofs[i] ?? [] })),
    moved: tree?.moved ?? null,
  };
}

/** The log head as `appendRows` locked it, before its rows. */
export interface LogHead {
  treeSize: number;
  range: CompactRange;
  /** Null when no key is active yet: then nothing was appended. */
  keyId: string | null;
  checkpointSize: number;
  /** The appended events' `recorded_at` (PostgreSQL's text, to the microsecond). */
  sealedAt: string;
}

/**
 * Locks the log head and appends the prepared rows after it, in one statement that is sent and
 * parsed before it waits for the lock. Nothing is appended when no key is active or the log holds
 * fewer than `witnessedSize` events: the caller refuses such a head (and rolls back).
 */
export async function appendRows(
  trx: SqlSession,
  prepared: PreparedAppend,
  witnessedSize: number,
): Promise<LogHead> {
  const head = await poisonOnRejection(() => appendEvents(trx, prepared.rowsJson, witnessedSize));
  return {
    treeSize: Number(head.tree_size),
    range: head.compact_range.map((h) => Buffer.from(h, 'hex')),
    keyId: head.active_key_id,
    checkpointSize: Number(head.checkpoint_size),
    sealedAt: head.sealed_at,
  };
}

/**
 * Completes the append `appendRows` began under the locked `head`: the leaves extend the compact
 * range and the statements are signed (v2: one for the transaction, over its last tree and the
 * moved heads' root; v1: one per group, over the tree at the group's end and its one head), then
 * the statements and the new log head are written in one statement. Returns the new tree size.
 */
export async function appendPrepared(
  trx: SqlSession,
  prepared: PreparedAppend,
  head: LogHead & { keyId: string },
  signing: { signer: NoteSigner; origin: string },
): Promise<number> {
  // NOTE: a copy this append owns, grown in place (a copy per leaf cost an array per event).
  const range = [...head.range];
  let size = head.treeSize;
  const time = new Date();
  const sign = (extension: string) =>
    signCheckpoint(
      { origin: signing.origin, size, root: rangeRoot(range), time, extensions: [extension] },
      signing.signer,
    );
  const grow = (to: number) => {
    for (; size < to; size++) appendLeafInPlace(range, size, prepared.leaves[size - head.treeSize]);
  };
  const { moved } = prepared;
  let shared: string | null = null;
  if (moved) {
    grow(head.treeSize + prepared.leaves.length);
    shared = sign(movedLine(moved));
  }
  const batches = prepared.heads.map(({ link, head: chainHead, end, proof }, index) => {
    if (!shared) grow(head.treeSize + end);
    return {
      tree_size: head.treeSize + end,
      entity_type: link.event.entityType,
      entity_id: link.event.entityId,
      head_seq: link.chainSeq,
      note: shared ?? sign(headLine(chainHead)),
      head_index: shared ? index : null,
      head_proof: shared ? Buffer.concat(proof).toString('hex') : null,
    };
  });
  await poisonOnRejection(() =>
    appendBatches(trx, JSON.stringify(batches), {
      keyId: head.keyId,
      treeSize: size,
      compactRange: JSON.stringify(range.map((h) => h.toString('hex'))),
      root: rangeRoot(range),
      sealedAt: head.sealedAt,
    }),
  );
  return size;
}

/**
 * PostgreSQL rejecting the rows' data (SQLSTATE class 22, data exception, or 23, integrity
 * violation) fails on every retry: that makes the batch poison. The message names the SQLSTATE,
 * not PostgreSQL's text, which may quote the offending value.
 */
async function poisonOnRejection<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
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

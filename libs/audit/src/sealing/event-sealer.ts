import { MikroORM } from '@mikro-orm/core';
import type { Knex } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { AUDIT_OPTIONS } from '../audit.constants';
import type { ResolvedAuditOptions } from '../audit-options.interface';
import { driftedFields, type ComparableValue } from '../capture/drift';
import { AuditContextService } from '../context/audit-context.service';
import { signCheckpoint } from '../crypto/checkpoint';
import { appendLeaf, rangeRoot, type CompactRange } from '../crypto/compact-range';
import { eventHash, EVENT_HASH_ALG, GENESIS_HASH } from '../crypto/event-hash';
import { entityKey } from '../crypto/head-map';
import { headLine } from '../crypto/log-statements';
import { merkleLeafHash } from '../crypto/merkle';
import { KeyProviderError } from '../errors/key-provider.error';
import { LogIntegrityError } from '../errors/log-integrity.error';
import { PoisonEventError } from '../errors/poison-event.error';
import type { AuditEvent, JsonObject } from '../events/audit-event';
import { AuditEventFactory } from '../events/audit-event.factory';
import { normalizeEvent } from '../events/normalize-event';
import { toSealableEvent } from '../events/sealable-event';
import { AuditDeadLetters, type FailureCount } from '../outbox/dead-letters';
import { KeyRegistry } from '../keys/key-registry.service';
import { AuditMetrics } from '../metrics/audit-metrics';
import { PersonalDataReader } from '../personal-data/personal-data.reader';
import { InjectAuditStore, knexOf, outboxesOf } from '../storage/audit-store';
import { Checkpointer } from './checkpointer';

interface OutboxRow {
  id: string;
  payload: unknown;
  parked: boolean;
}

/** Events sealed in one transaction at most: bounds its size and the time it holds the log head. */
const SEAL_BATCH_LIMIT = 1000;

/** What one sealing transaction did. */
export interface SealResult {
  /** Outbox events sealed (DRIFT_DETECTED events the sealer added are not counted). */
  sealed: number;
  /** The log has grown by `checkpoint.everyEvents` since the last checkpoint. */
  checkpointDue: boolean;
}

/** What one sealing transaction took from the outbox. */
interface Taken {
  sealed: number;
  checkpointDue: boolean;
  /** The outbox rows it consumed. */
  consumed: string[];
  occurredAt: string[];
  /** The one event it tried (one at a time) and could not seal; its failed attempt is counted. */
  poison?: { eventId: string; error: PoisonEventError } & FailureCount;
}

/** A sealing transaction that took no outbox row. */
const NOTHING_TAKEN: Taken = { sealed: 0, checkpointDue: false, consumed: [], occurredAt: [] };

interface ChainHeadRow {
  last_seq: string;
  last_hash: Buffer | null;
}

interface LogHeadRow {
  tree_size: string;
  compact_range: string[];
  active_key_id: string | null;
  checkpoint_size: string;
}

interface ChainLink {
  event: AuditEvent;
  chainSeq: number;
  prevHash: Buffer;
  hash: Buffer;
}

/**
 * Moves an entity's committed events from the outbox into `audit.events`, in commit order, each
 * with the next `chain_seq`, the previous event's hash and its own, and the next `global_seq`;
 * each event's hash becomes the next leaf of the global Merkle log, whose root the log head keeps.
 * One sealing transaction is one batch: its new tree head and the entity's new chain head are
 * signed once, with the active key (the batch statement, docs/integrity.md §6).
 * An event whose `before` differs from the previous `after` is preceded by a DRIFT_DETECTED event.
 * The entity's chain-head row is locked first and the log head last (one fixed lock order, so
 * sealers never deadlock): any number of sealers (threads or processes) can run at once, one
 * entity's events are sealed by one sealer at a time, and neither sequence has gaps.
 * Idempotent: an event already sealed is never sealed again.
 */
@Injectable()
export class EventSealer {
  constructor(
    private readonly orm: MikroORM,
    @InjectAuditStore() private readonly store: MikroORM,
    private readonly keys: KeyRegistry,
    private readonly checkpointer: Checkpointer,
    private readonly events: AuditEventFactory,
    private readonly context: AuditContextService,
    private readonly metrics: AuditMetrics,
    private readonly deadLetters: AuditDeadLetters,
    private readonly personalData: PersonalDataReader,
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
  ) {}

  /**
   * Seals the pending events of one entity (up to SEAL_BATCH_LIMIT at once). When the batch holds
   * a poison event, seals the events before it one at a time and counts a failed attempt against
   * it: the job fails and is retried with backoff until AuditDeadLetters parks the event.
   */
  async sealEntity(entityType: string, entityId: string): Promise<SealResult> {
    try {
      return await this.sealPending(entityType, entityId, SEAL_BATCH_LIMIT);
    } catch (error) {
      if (!(error instanceof PoisonEventError)) throw error;
    }
    const total: SealResult = { sealed: 0, checkpointDue: false };
    for (;;) {
      const step = await this.sealPending(entityType, entityId, 1);
      if (step.poison) {
        if (step.poison.parked) return total;
        throw step.poison.error;
      }
      if (step.consumed === 0) return total;
      total.sealed += step.sealed;
      total.checkpointDue ||= step.checkpointDue;
    }
  }

  /**
   * One sealing transaction over the entity's oldest `limit` outbox events, stopping before a
   * dead letter (its entity is blocked until it is retried). A poison event fails a larger batch
   * (PoisonEventError); with `limit` 1 the event that failed is known, and its failed attempt is
   * counted in the transaction, under the chain-head lock: attempts at one entity (concurrent
   * jobs, a job and its relayed twin) are counted one at a time, each exactly once, and an
   * attempt that takes the lock after the event was parked finds it parked and does not run.
   */
  private async sealPending(entityType: string, entityId: string, limit: number) {
    const source = await this.outboxHolding(entityType, entityId);
    if (!source) return { ...NOTHING_TAKEN, consumed: 0 };
    const store = knexOf(this.store);
    const separate = source !== store;
    const result = await store.transaction(async (trx): Promise<Taken> => {
      const key = [entityType, entityId];
      await trx.raw(
        'insert into audit.chain_heads (entity_type, entity_id) values (?, ?) on conflict do nothing',
        key,
      );
      const head = await trx.raw<{ rows: ChainHeadRow[] }>(
        'select last_seq, last_hash from audit.chain_heads where entity_type = ? and entity_id = ? for update',
        key,
      );
      // Read under the chain-head lock, so one sealer at a time takes an entity's events.
      const outbox = await (separate ? source : trx).raw<{ rows: OutboxRow[] }>(
        `select id, payload, dead_lettered_at is not null as parked from audit.outbox
         where entity_type = ? and entity_id = ? order by seq limit ?`,
        [...key, limit],
      );
      const parked = outbox.rows.findIndex((r) => r.parked);
      const pending = parked < 0 ? outbox.rows : outbox.rows.slice(0, parked);
      if (pending.length === 0) return NOTHING_TAKEN;
      const seal = (t: Knex.Transaction) =>
        this.sealRows(t, { entityType, entityId, separate }, pending, head.rows[0]);
      if (limit !== 1) return seal(trx);
      try {
        // A savepoint: the transaction, and its lock, outlive a statement PostgreSQL rejects. Only
        // here, past a poison event: its release is one more round trip under the log-head lock.
        return await trx.transaction(seal);
      } catch (error) {
        if (!(error instanceof PoisonEventError)) throw error;
        const [{ id }] = pending;
        const count = await this.deadLetters.countFailure(separate ? source : trx, id, error);
        // Undefined only if it was parked without the lock (no such path): then nothing was taken.
        return count ? { ...NOTHING_TAKEN, poison: { eventId: id, error, ...count } } : NOTHING_TAKEN;
      }
    });
    // NOTE: with the outbox in another database, its rows go once the store has committed; a
    // crash in between leaves rows that the next pass finds sealed already and only deletes.
    if (separate && result.consumed.length > 0) {
      await source.raw('delete from audit.outbox where id = any(?::uuid[])', [result.consumed]);
    }
    // Counted once committed: a rolled-back attempt sealed nothing.
    this.metrics.sealed.inc(result.sealed);
    const now = Date.now();
    for (const at of result.occurredAt) this.metrics.sealingLatency.observe((now - Date.parse(at)) / 1000);
    const { poison } = result;
    if (poison?.parked) {
      await this.deadLetters.announceParked(
        { eventId: poison.eventId, entityType, entityId },
        poison.attempts,
        poison.error,
      );
    }
    return { ...result, consumed: result.consumed.length };
  }

  /** Seals the entity's pending outbox rows in `trx`, which holds its chain-head lock. */
  private async sealRows(
    trx: Knex.Transaction,
    { entityType, entityId, separate }: { entityType: string; entityId: string; separate: boolean },
    pending: OutboxRow[],
    head: ChainHeadRow,
  ): Promise<Taken> {
    const ids = pending.map((r) => r.id);
    const sealed = await trx.raw<{ rows: { id: string }[] }>(
      'select id from audit.events where id = any(?::uuid[])',
      [ids],
    );
    const already = new Set(sealed.rows.map((r) => r.id));
    const fresh = pending
      .filter((r) => !already.has(r.id))
      .map((r) => toSealableEvent({ id: r.id, entityType, entityId, payload: r.payload }));
    if (!separate) await trx.raw('delete from audit.outbox where id = any(?::uuid[])', [ids]);
    if (fresh.length === 0) return { ...NOTHING_TAKEN, consumed: ids };
    const lastSeq = Number(head.last_seq);
    const previousAfter = lastSeq > 0 ? await this.lastAfter(trx, entityType, entityId, lastSeq) : null;
    // Personal values are compared in clear (their envelopes differ on every write).
    const comparable = await this.personalData.comparable(trx, [
      previousAfter,
      ...fresh.flatMap((e) => [e.before, e.after]),
    ]);
    const chained = this.chain(this.withDrift(fresh, previousAfter, comparable), lastSeq, head.last_hash);
    const last = chained[chained.length - 1];
    await trx.raw(
      'update audit.chain_heads set last_seq = ?, last_hash = ?, updated_at = now() where entity_type = ? and entity_id = ?',
      [last.chainSeq, last.hash, entityType, entityId],
    );
    const checkpointDue = await this.appendToLog(trx, chained);
    return {
      sealed: fresh.length,
      checkpointDue,
      consumed: ids,
      occurredAt: fresh.map((e) => e.occurredAt),
    };
  }

  /**
   * The outbox holding the entity's unsealed events, if any: the app's, or the store's for the
   * library's own events. NOTE: most jobs find their event sealed already (the entity's first job
   * seals every event pending then); they are answered here, without a transaction or a lock.
   * Safe: an event committed after this read has its own job, queued after its commit.
   */
  private async outboxHolding(entityType: string, entityId: string): Promise<Knex | undefined> {
    for (const outbox of outboxesOf(this.orm, this.store)) {
      const waiting = await outbox.raw<{ rows: unknown[] }>(
        'select 1 from audit.outbox where entity_type = ? and entity_id = ? and dead_lettered_at is null limit 1',
        [entityType, entityId],
      );
      if (waiting.rows.length > 0) return outbox;
    }
    return undefined;
  }

  /** The `after` of the entity's latest event that has a snapshot (domain events have none). */
  private async lastAfter(trx: Knex.Transaction, entityType: string, entityId: string, lastSeq: number) {
    const rows = await trx.raw<{ rows: { after: JsonObject | null }[] }>(
      `select after from audit.events where entity_type = ? and entity_id = ? and chain_seq <= ?
       and (before is not null or after is not null) order by chain_seq desc limit 1`,
      [entityType, entityId, lastSeq],
    );
    return rows.rows[0]?.after ?? null;
  }

  /** The events to seal, each drifted one preceded by its DRIFT_DETECTED event. */
  private withDrift(
    events: AuditEvent[],
    previousAfter: JsonObject | null,
    comparable: ComparableValue | undefined,
  ): AuditEvent[] {
    const out: AuditEvent[] = [];
    let expected = previousAfter;
    for (const event of events) {
      const fields = driftedFields(expected, event.before, comparable);
      if (fields.length > 0) {
        out.push(normalizeEvent(this.events.forDrift(event, expected!, fields, this.context.system())));
      }
      out.push(event);
      // Domain events (no snapshots) say nothing about the record's state.
      if (event.before || event.after) expected = event.after;
    }
    return out;
  }

  private chain(events: AuditEvent[], lastSeq: number, lastHash: Buffer | null): ChainLink[] {
    let seq = lastSeq;
    let prev = lastHash ?? GENESIS_HASH;
    return events.map((event) => {
      const hash = eventHash(event, ++seq, prev);
      const link = { event, chainSeq: seq, prevHash: prev, hash };
      prev = hash;
      return link;
    });
  }

  /**
   * Appends the batch to the global log under the log-head lock and signs the batch statement.
   * NOTE: the global lock is taken last and held for four statements: every sealer in every
   * process queues on this row, so nothing slow may run while it is held.
   */
  private async appendToLog(trx: Knex.Transaction, chained: ChainLink[]): Promise<boolean> {
    const log = await trx.raw<{ rows: LogHeadRow[] }>(
      'select tree_size, compact_range, active_key_id, checkpoint_size from audit.log_head for update',
    );
    const { tree_size, compact_range, active_key_id: keyId, checkpoint_size } = log.rows[0];
    if (!keyId)
      throw new KeyProviderError('No signing key is active yet: a worker activates one when it starts.');
    if (Number(tree_size) < this.checkpointer.witnessedSize) {
      throw new LogIntegrityError(
        `The log holds ${tree_size} events but the witness has seen ${this.checkpointer.witnessedSize}: ` +
          'the database was rolled back. Nothing is signed on top of it; run the full log verification.',
      );
    }
    const signer = await this.keys.signer(keyId);
    let globalSeq = Number(tree_size);
    let range: CompactRange = compact_range.map((h) => Buffer.from(h, 'hex'));
    const batch = { treeSize: globalSeq + chained.length, keySetId: this.options.keySetId, keyId };
    const rows = chained.map((link) => {
      range = appendLeaf(range, globalSeq, merkleLeafHash(link.hash));
      return toRow(link.event, { ...link, globalSeq: ++globalSeq }, batch);
    });
    const root = rangeRoot(range);
    const { event, chainSeq, hash } = chained[chained.length - 1];
    const note = signCheckpoint(
      {
        origin: this.options.logOrigin,
        size: globalSeq,
        root,
        time: new Date(),
        extensions: [headLine({ key: entityKey(event.entityType, event.entityId), chainSeq, hash })],
      },
      signer,
    );
    await appendBatch(trx, rows, {
      treeSize: globalSeq,
      entityType: event.entityType,
      entityId: event.entityId,
      headSeq: chainSeq,
      keyId,
      note,
      compactRange: JSON.stringify(range.map((h) => h.toString('hex'))),
      root,
    });
    return globalSeq - Number(checkpoint_size) >= this.options.checkpoint.everyEvents;
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
  ['batch_tree_size', 'bigint'],
  ['key_set_id', 'text'],
  ['key_id', 'text'],
];
const COLUMNS = COLUMN_DEFS.map(([name]) => name);
// Hashes travel through JSON as hex text and are decoded into bytea.
const SELECTED = COLUMN_DEFS.map(([name, type]) => (type === 'bytea' ? `decode(${name}, 'hex')` : name));
const COLUMN_TYPES = COLUMN_DEFS.map(([name, type]) => `${name} ${type === 'bytea' ? 'text' : type}`).join(
  ', ',
);

interface BatchAppend {
  treeSize: number;
  entityType: string;
  entityId: string;
  headSeq: number;
  keyId: string;
  note: string;
  compactRange: string;
  root: Buffer;
}

/**
 * The events, their batch statement and the new log head in one statement: one round trip while
 * the log head is locked, not three (every sealer in every process queues on that lock).
 * `recorded_at` is stamped here, under that lock, and never goes back (the log head keeps the
 * last stamp), so each monthly partition of `audit.events` is one contiguous stretch of the log.
 * PostgreSQL rejecting the rows' data (SQLSTATE class 22, data exception, or 23, integrity
 * violation) fails on every retry: that makes the batch poison. The message names the SQLSTATE,
 * not PostgreSQL's text, which may quote the offending value.
 */
async function appendBatch(trx: Knex.Transaction, rows: Record<string, unknown>[], b: BatchAppend) {
  try {
    await trx.raw(
      `with sealed_at as (select greatest(clock_timestamp(), updated_at) as at from audit.log_head),
       sealed as (
         insert into audit.events (${COLUMNS.join(', ')}, recorded_at)
         select ${SELECTED.join(', ')}, (select at from sealed_at)
         from jsonb_to_recordset(?::jsonb) as r(${COLUMN_TYPES})
       ), batch as (
         insert into audit.batches (tree_size, entity_type, entity_id, head_seq, key_id, note)
         values (?, ?, ?, ?, ?, ?)
       )
       update audit.log_head set tree_size = ?, compact_range = ?::jsonb, root_hash = ?,
         updated_at = (select at from sealed_at)`,
      [
        JSON.stringify(rows),
        ...[b.treeSize, b.entityType, b.entityId, b.headSeq, b.keyId, b.note],
        ...[b.treeSize, b.compactRange, b.root],
      ],
    );
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && /^2[23]/.test(code)) {
      throw new PoisonEventError(`PostgreSQL rejected the event row (SQLSTATE ${code}).`, { cause: error });
    }
    throw error;
  }
}

interface ChainPosition {
  chainSeq: number;
  globalSeq: number;
  prevHash: Buffer;
  hash: Buffer;
}

interface BatchRef {
  treeSize: number;
  keySetId: string;
  keyId: string;
}

function toRow(
  e: AuditEvent,
  { chainSeq, globalSeq, prevHash, hash }: ChainPosition,
  batch: BatchRef,
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
    batch_tree_size: batch.treeSize,
    key_set_id: batch.keySetId,
    key_id: batch.keyId,
  };
}

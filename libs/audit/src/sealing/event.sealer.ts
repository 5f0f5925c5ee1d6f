import { MikroORM } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { AUDIT_OPTIONS } from '../audit.constants';
import type { ResolvedAuditOptions } from '../audit-options.interface';
import { AuditContextService } from '../context/audit-context.service';
import { AuditableMisconfiguredError } from '../errors/auditable-misconfigured.error';
import { KeyProviderError } from '../errors/key-provider.error';
import { LogIntegrityError } from '../errors/log-integrity.error';
import { PoisonEventError } from '../errors/poison-event.error';
import type { AuditEvent, JsonObject } from '../events/audit-event';
import { AuditEventFactory } from '../events/audit-event.factory';
import { normalizeEvent } from '../events/normalize-event';
import { toSealableEvent } from '../events/sealable-event';
import { AuditDeadLetters, type FailureCount } from '../outbox/audit-dead-letters.service';
import type { SealJobEvent } from '../outbox/seal-job';
import { KeyRegistry } from '../keys/key-registry.service';
import { AuditMetrics } from '../metrics/audit-metrics.service';
import { PersonalDataProtector } from '../personal-data/personal-data.protector';
import { PersonalDataReader } from '../personal-data/personal-data.reader';
import { sqlOn } from '../personal-data/subject-keys.service';
import { capturedChange } from '../capture/captured-row';
import { CapturedTables } from '../capture/captured-tables.registry';
import { InjectAuditStore, outboxesOf } from '../storage/audit-store';
import {
  batchCandidates,
  deleteOutboxRows,
  ensureChainHead,
  ensureChainHeads,
  lastAfters,
  lockChainHead,
  lockChainHeads,
  lockFreeChainHeads,
  oldestOutboxRows,
  oldestRowsOf,
  outboxHoldsEntity,
  sealedIds,
  updateChainHeads,
  waitingEntities,
  type ChainHeadRow,
  type EntityKeyRow,
  type OutboxRow,
} from '../storage/sealing.store';
import { type SqlSession, sqlOf } from '../storage/sql-session';
import { chainEntities, chainHeadUpdates, eventsOf, type SealItem } from './chain-builder';
import { Checkpointer } from './checkpointer.service';
import { appendPrepared, appendRows, prepareAppend, type ChainLink, type PreparedAppend } from './log-append';

/** An entity whose chain head this transaction holds, with its oldest waiting outbox rows. */
interface HeldEntity {
  head: ChainHeadRow;
  rows: OutboxRow[];
}

/** A held entity's events to seal (its rows minus any sealed already). */
interface SealableEntity {
  head: ChainHeadRow;
  items: SealItem[];
}

/** Events sealed in one per-entity transaction at most. */
const SEAL_BATCH_LIMIT = 1000;
/**
 * A batch transaction takes up to `sealBatchEvents` events (option, default 2000) of the first
 * entities no other sealer holds among those of the oldest waiting events (a window of 8 batches'
 * worth, room for several sealers), oldest first. A tenth as many entities as events (at most
 * BATCH_ENTITIES): each entity costs a chain-head lock, its head update and a batch row; the
 * transaction is signed once whatever their number (format v2, docs/integrity.md §6), where v1
 * signed once per entity under the log-head lock.
 */
const BATCH_ENTITIES = 200;
/**
 * Sealing transactions a job runs at most while its own events wait (each takes something, or the
 * job stops): a bound, not a budget; a job normally ends once its own events are sealed.
 */
const JOB_ROUNDS = 1000;

/** What a sealing job or transaction did. */
export interface SealResult {
  /** Outbox events sealed (DRIFT_DETECTED events the sealer added are not counted). */
  sealed: number;
}

/** What one sealing transaction took from the outbox. */
interface Taken extends SealResult {
  /** The log has grown by `checkpoint.everyEvents` since the last checkpoint. */
  checkpointDue: boolean;
  /** The outbox rows it consumed. */
  consumed: string[];
  /** How many of them the database captured (the app never saw them to count them as recorded). */
  captured?: number;
  occurredAt: string[];
  /** The one event it tried (one at a time) and could not seal; its failed attempt is counted. */
  poison?: { eventId: string; entityType: string; entityId: string; error: PoisonEventError } & FailureCount;
}

/** A committed sealing transaction, as its callers see it. */
type Outcome = SealResult & Pick<Taken, 'poison'> & { consumed: number };

/** A sealing transaction that took no outbox row. */
const NOTHING_TAKEN: Taken = { sealed: 0, checkpointDue: false, consumed: [], occurredAt: [] };

const keyOf = (entityType: string, entityId: string) => `${entityType}\u0000${entityId}`;
const headKey = (h: ChainHeadRow) => keyOf(h.entity_type, h.entity_id);

/**
 * Moves committed events from the outbox into `audit.events`, in commit order, each with the next
 * `chain_seq` of its entity, the previous event's hash and its own, and the next `global_seq`;
 * each event's hash becomes the next leaf of the global Merkle log, whose root the log head keeps.
 * Each entity's events in a transaction are one batch of the log: its tree head and the entity's
 * new chain head are signed once, with the active key (the batch statement, docs/integrity.md §6).
 * An event whose `before` differs from the previous `after` is preceded by a DRIFT_DETECTED event.
 *
 * A sealing transaction holds the chain-head rows of the entities it seals, then locks the log
 * head last (one fixed order, so sealers never deadlock): any number of sealers (threads or
 * processes) run at once, one entity's events are sealed by one sealer at a time, and neither
 * sequence has gaps. Jobs seal in batches over many entities (`sealJob`), taking the oldest
 * waiting events whose chain heads no other sealer holds (SKIP LOCKED), so the global lock is
 * taken once per up to `sealBatchEvents` events rather than once per entity. Idempotent: an event
 * already sealed is never sealed again.
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
    private readonly personalReader: PersonalDataReader,
    private readonly personalData: PersonalDataProtector,
    private readonly tables: CapturedTables,
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
  ) {}

  /** Entities per batch transaction (see BATCH_ENTITIES). */
  private get batchEntities(): number {
    return Math.min(BATCH_ENTITIES, Math.ceil(this.options.sealBatchEvents / 10));
  }

  /**
   * A sealing job: batches over everything waiting, oldest first, while the job's own events wait;
   * when a batch finds nothing it may take (other sealers hold the rest), a transaction over the
   * job's own entities, waiting for those sealers; once neither takes anything, what is still
   * waiting of its own (blocked by a dead letter, or poison) goes entity by entity (`sealEntity`),
   * which counts a poison event's failed attempt against this job. NOTE: most jobs of a backlog
   * find their events sealed by an earlier job's batch; they are answered with one read.
   */
  async sealJob(own: SealJobEvent[], sweep = false): Promise<SealResult> {
    const total: SealResult = { sealed: 0 };
    const add = (step: SealResult) => {
      total.sealed += step.sealed;
    };
    // A sweep: batches until none takes anything (what is left, others hold or is blocked).
    for (let round = 0; sweep && round < JOB_ROUNDS; round++) {
      const batch = await this.sealBatch();
      add(batch);
      if (batch.consumed === 0) break;
    }
    for (let round = 0; round < JOB_ROUNDS; round++) {
      const waiting = await this.waitingOf(own);
      if (waiting.length === 0) return total;
      const batch = await this.sealBatch();
      add(batch);
      if (batch.consumed > 0) continue;
      const mine = await this.sealOwn(waiting);
      add(mine);
      if (mine.consumed === 0) break;
    }
    for (const { entityType, entityId } of await this.waitingOf(own)) {
      add(await this.sealEntity(entityType, entityId));
    }
    return total;
  }

  /** One transaction per outbox over `entities`, waiting for the sealers that hold them. */
  private sealOwn(entities: { entityType: string; entityId: string }[]) {
    const keys = entities.map(({ entityType, entityId }) => ({
      entity_type: entityType,
      entity_id: entityId,
    }));
    return this.perOutbox((trx, outbox) => this.holdEntities(trx, outbox, keys));
  }

  /** One batch transaction per outbox over the oldest waiting events whose chain heads are free. */
  private sealBatch() {
    return this.perOutbox((trx, outbox, source) => this.holdBatch(trx, outbox, source));
  }

  /**
   * One multi-entity sealing transaction per outbox. NOTE: PostgreSQL rejecting a row fails the
   * whole transaction without saying which event; it counts as nothing taken, so the job goes on to
   * the per-entity path, which finds the event and counts its failed attempt.
   */
  private async perOutbox(
    hold: (trx: SqlSession, outbox: SqlSession, source: SqlSession) => Promise<HeldEntity[]>,
  ): Promise<SealResult & { consumed: number }> {
    const total = { sealed: 0, consumed: 0 };
    for (const source of outboxesOf(this.orm, this.store)) {
      let step;
      try {
        step = await this.sealing(source, (trx, outbox) => hold(trx, outbox, source), false);
      } catch (error) {
        if (error instanceof PoisonEventError) continue;
        throw error;
      }
      total.sealed += step.sealed;
      total.consumed += step.consumed;
    }
    return total;
  }

  /**
   * Seals the pending events of one entity (up to SEAL_BATCH_LIMIT at once). When the batch holds
   * a poison event, seals the events before it one at a time and counts a failed attempt against
   * it: the job fails and is retried with backoff until AuditDeadLetters parks the event.
   */
  private async sealEntity(entityType: string, entityId: string): Promise<SealResult> {
    try {
      return await this.sealPending(entityType, entityId, SEAL_BATCH_LIMIT);
    } catch (error) {
      if (!(error instanceof PoisonEventError)) throw error;
    }
    const total: SealResult = { sealed: 0 };
    for (;;) {
      const step = await this.sealPending(entityType, entityId, 1);
      if (step.poison) {
        if (step.poison.parked) return total;
        throw step.poison.error;
      }
      if (step.consumed === 0) return total;
      total.sealed += step.sealed;
    }
  }

  /** The entities of `own` with events still waiting, unparked, in an outbox. */
  private async waitingOf(
    own: SealJobEvent[],
    ...outboxes: SqlSession[]
  ): Promise<{ entityType: string; entityId: string }[]> {
    const waiting = new Map<string, { entityType: string; entityId: string }>();
    for (const outbox of outboxes.length > 0 ? outboxes : outboxesOf(this.orm, this.store)) {
      const rows = await waitingEntities(
        outbox,
        own.map((e) => e.eventId),
      );
      for (const r of rows) {
        waiting.set(keyOf(r.entity_type, r.entity_id), { entityType: r.entity_type, entityId: r.entity_id });
      }
    }
    return [...waiting.values()];
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
    if (!source) return { sealed: 0, consumed: 0 };
    return this.sealing(
      source,
      async (trx, outbox) => {
        await ensureChainHead(trx, entityType, entityId);
        const head = await lockChainHead(trx, entityType, entityId);
        // Read under the chain-head lock, so one sealer at a time takes an entity's events.
        const rows = await oldestOutboxRows(outbox, entityType, entityId, limit);
        return [{ head, rows }];
      },
      true,
      limit === 1,
    );
  }

  /**
   * Holds the chain heads of the entities of the oldest waiting events that no other sealer holds,
   * and reads their waiting rows. Entities blocked by a dead letter are left to its retry.
   */
  private async holdBatch(trx: SqlSession, outbox: SqlSession, source: SqlSession): Promise<HeldEntity[]> {
    const candidates = await batchCandidates(source, 8 * this.batchEntities);
    if (candidates.length === 0) return [];
    await this.ensureHeads(candidates);
    // Oldest first, skipping heads other sealers hold: concurrent sealers take disjoint entities.
    const heads = await lockFreeChainHeads(trx, candidates, this.batchEntities);
    return this.waitingRows(outbox, heads);
  }

  /**
   * Holds the chain heads of `entities`, waiting for sealers that hold them (in key order: two
   * such transactions never deadlock; batches skip locked heads and never wait), and reads their
   * waiting rows: what a job whose events others held takes once they are done.
   */
  private async holdEntities(trx: SqlSession, outbox: SqlSession, entities: EntityKeyRow[]) {
    await this.ensureHeads(entities);
    return this.waitingRows(outbox, await lockChainHeads(trx, entities));
  }

  /** Chain-head rows for entities that have none, committed at once (outside the sealing transaction). */
  private async ensureHeads(entities: EntityKeyRow[]): Promise<void> {
    await ensureChainHeads(sqlOf(this.store), entities);
  }

  /**
   * The waiting rows of the entities whose `heads` this transaction holds (read under those locks,
   * so one sealer at a time takes an entity's events): up to `sealBatchEvents`, oldest first, which is
   * a prefix of each entity's.
   */
  private async waitingRows(outbox: SqlSession, heads: ChainHeadRow[]): Promise<HeldEntity[]> {
    if (heads.length === 0) return [];
    const rows = await oldestRowsOf(outbox, heads, this.options.sealBatchEvents);
    const held = new Map(heads.map((head) => [headKey(head), { head, rows: [] as OutboxRow[] }]));
    for (const row of rows) held.get(keyOf(row.entity_type, row.entity_id))?.rows.push(row);
    return [...held.values()];
  }

  /**
   * One sealing transaction: `hold` locks chain heads and reads their rows; each entity's rows up
   * to a dead letter are sealed. `strict`: a poison event fails the transaction (the per-entity
   * path, which then finds it one event at a time); otherwise its entity is left out, for its own
   * job. `countPoison`: the per-entity path with limit 1, which counts the failed attempt in a
   * savepoint. NOTE: with the outbox in another database, its rows go once the store has
   * committed; a crash in between leaves rows that the next pass finds sealed already and only deletes.
   */
  private async sealing(
    source: SqlSession,
    hold: (trx: SqlSession, outbox: SqlSession) => Promise<HeldEntity[]>,
    strict: boolean,
    countPoison = false,
  ): Promise<Outcome> {
    const store = sqlOf(this.store);
    const separate = !source.sameDatabase(store);
    const result = await store.transaction(async (trx): Promise<Taken> => {
      const outbox = separate ? source : trx;
      const held = (await hold(trx, outbox))
        .map(({ head, rows }) => {
          const parked = rows.findIndex((r) => r.parked);
          return { head, rows: parked < 0 ? rows : rows.slice(0, parked) };
        })
        .filter((e) => e.rows.length > 0);
      if (held.length === 0) return NOTHING_TAKEN;
      const take = (t: SqlSession) => this.take(t, held, separate, strict);
      if (!countPoison) return take(trx);
      try {
        // A savepoint: the transaction, and its lock, outlive a statement PostgreSQL rejects. Only
        // here, past a poison event: its release is one more round trip under the log-head lock.
        return await trx.transaction(take);
      } catch (error) {
        if (!(error instanceof PoisonEventError)) throw error;
        const [{ head, rows }] = held;
        const count = await this.deadLetters.countFailure(outbox, rows[0].id, error);
        // Undefined only if it was parked without the lock (no such path): then nothing was taken.
        return count
          ? {
              ...NOTHING_TAKEN,
              poison: {
                eventId: rows[0].id,
                entityType: head.entity_type,
                entityId: head.entity_id,
                error,
                ...count,
              },
            }
          : NOTHING_TAKEN;
      }
    });
    if (separate && result.consumed.length > 0) {
      await deleteOutboxRows(source, result.consumed);
    }
    // Cut as soon as one is due, not when the job ends: a job draining a backlog runs many
    // transactions, and a checkpoint over all of them (measured: the first of a 200,000-event
    // backlog at 64,000 events) costs the cutting process memory and time in proportion.
    if (result.checkpointDue) this.checkpointer.trigger('EVENTS');
    // Counted once committed: a rolled-back attempt sealed nothing.
    this.metrics.sealed.inc(result.sealed);
    this.metrics.recorded.inc(result.captured ?? 0);
    const now = Date.now();
    for (const at of result.occurredAt) this.metrics.sealingLatency.observe((now - Date.parse(at)) / 1000);
    const { poison } = result;
    if (poison?.parked) await this.deadLetters.announceParked(poison, poison.attempts, poison.error);
    return {
      sealed: result.sealed,
      consumed: result.consumed.length,
      poison,
    };
  }

  /** Seals the held entities' rows in `trx`, which holds their chain-head locks. */
  private async take(
    trx: SqlSession,
    held: HeldEntity[],
    separate: boolean,
    strict: boolean,
  ): Promise<Taken> {
    const ids = held.flatMap((e) => e.rows.map((r) => r.id));
    const already = new Set(separate ? await sealedIds(trx, ids) : []);
    const consumed: string[] = [];
    const sealable: SealableEntity[] = [];
    for (const { head, rows } of held) {
      let items: SealItem[];
      try {
        items = rows.filter((r) => !already.has(r.id)).map((r) => this.sealItem(r));
      } catch (error) {
        if (strict || !(error instanceof PoisonEventError)) throw error;
        continue;
      }
      consumed.push(...rows.map((r) => r.id));
      if (items.length > 0) sealable.push({ head, items });
    }
    if (!separate && consumed.length > 0) {
      await deleteOutboxRows(trx, consumed);
    }
    if (sealable.length === 0) return { ...NOTHING_TAKEN, consumed };
    const { groups, sealed } = await this.chained(trx, sealable);
    if (groups.length === 0) return { ...NOTHING_TAKEN, consumed };
    await updateChainHeads(trx, chainHeadUpdates(groups));
    const checkpointDue = await this.appendToLog(
      trx,
      prepareAppend(groups, this.options.keySetId, this.options.statementFormat),
    );
    return {
      sealed: sealed.length,
      checkpointDue,
      consumed,
      captured: held.reduce((n, e) => n + e.rows.filter((r) => r.captured && !already.has(r.id)).length, 0),
      occurredAt: sealed.map((e) => e.occurredAt),
    };
  }

  /**
   * An outbox row as what the sealer chains. A captured row becomes its row or relation change;
   * an event the application wrote is marked ASSERTED and must date itself within
   * `maxEventClockSkewMs` of the database's clock when the row was written. Which one a row is,
   * and the database's facts, come from the columns PostgreSQL stamped, never from the payload.
   */
  private sealItem(r: OutboxRow): SealItem {
    const database =
      r.db_txid !== null && r.db_role !== null && r.db_time !== null
        ? { transactionId: r.db_txid, role: r.db_role, time: new Date(r.db_time).toISOString() }
        : null;
    if (r.captured) {
      const shape = this.tables.shapeOf(r.entity_type);
      if (!shape || !database || r.payload_text === null) {
        throw new PoisonEventError(
          `Captured row ${r.id} of ${r.entity_type} cannot be sealed: ` +
            (shape
              ? 'its database stamps are missing.'
              : 'no entity of that name is registered with this worker.'),
        );
      }
      return capturedChange(
        { id: r.id, entityType: r.entity_type, entityId: r.entity_id, payloadText: r.payload_text, database },
        shape,
        this.options.maxSealedStringBytes,
      );
    }
    const event = toSealableEvent({
      id: r.id,
      entityType: r.entity_type,
      entityId: r.entity_id,
      payload: r.payload,
    });
    if (database) {
      const skew = Math.abs(Date.parse(event.occurredAt) - Date.parse(database.time));
      if (skew > this.options.maxEventClockSkewMs) {
        throw new PoisonEventError(
          `Outbox event ${r.id} cannot be sealed: its occurredAt is ${Math.round(skew / 1000)} s from the ` +
            `database's clock when it was written (at most ${this.options.maxEventClockSkewMs / 1000} s): ` +
            'an application may not date what it asserts.',
        );
      }
    }
    return { ...event, origin: 'ASSERTED', database };
  }

  /**
   * Each entity's events chained on its head, each drifted one preceded by its DRIFT_DETECTED
   * event. Captured changes become events in order, each on its record's state so far (a relation
   * change needs it); their personal values are encrypted here, before anything is hashed.
   */
  private async chained(
    trx: SqlSession,
    sealable: SealableEntity[],
  ): Promise<{ groups: ChainLink[][]; sealed: AuditEvent[] }> {
    const previous = await this.previousAfters(
      trx,
      sealable.filter((e) => Number(e.head.last_seq) > 0),
    );
    const made = sealable.map(({ head, items }) => {
      const key = headKey(head);
      return eventsOf(items, previous.has(key) ? previous.get(key) : undefined);
    });
    const lists = made.map((m) => m.events);
    const captured = made.flatMap((m) => m.captured);
    if (captured.length > 0) {
      let protectedEvents: AuditEvent[];
      try {
        protectedEvents = await this.personalData.protectWith(sqlOn(trx), captured);
      } catch (error) {
        // A captured row whose personal data names no subject can never be sealed: poison (the
        // per-record path finds it, counts its attempts and parks it), never a batch failing forever.
        if (error instanceof AuditableMisconfiguredError) throw new PoisonEventError(error.message);
        throw error;
      }
      const byId = new Map(protectedEvents.map((e) => [e.id, e]));
      for (const list of lists) list.forEach((e, i) => (list[i] = byId.get(e.id) ?? e));
    }
    const events = lists.map((list) => list.map(normalizeEvent));
    // Personal values are compared in clear (their envelopes differ on every write).
    const comparable = await this.personalReader.comparable(trx, [
      ...previous.values(),
      ...events.flatMap((list) => list.flatMap((ev) => [ev.before, ev.after])),
    ]);
    const groups = chainEntities(
      sealable.map(({ head }, i) => ({
        events: events[i],
        lastSeq: Number(head.last_seq),
        lastHash: head.last_hash,
        previousAfter: previous.get(headKey(head)) ?? null,
      })),
      comparable,
      (event, expected, fields) => this.events.forDrift(event, expected, fields, this.context.system()),
    );
    return { groups, sealed: events.flat() };
  }

  /**
   * The outbox holding the entity's unsealed events, if any: the app's, or the store's for the
   * library's own events. Safe without a lock: an event committed after this read has its own job,
   * queued after its commit.
   */
  private async outboxHolding(entityType: string, entityId: string): Promise<SqlSession | undefined> {
    for (const outbox of outboxesOf(this.orm, this.store)) {
      if (await outboxHoldsEntity(outbox, entityType, entityId)) return outbox;
    }
    return undefined;
  }

  /** Each entity's latest `after` with a snapshot (domain events have none), in one query. */
  private async previousAfters(
    trx: SqlSession,
    entities: SealableEntity[],
  ): Promise<Map<string, JsonObject | null>> {
    if (entities.length === 0) return new Map();
    const rows = await lastAfters(
      trx,
      entities.map((e) => e.head),
    );
    return new Map(rows.map((r) => [keyOf(r.entity_type, r.entity_id), r.after]));
  }

  /**
   * Appends the prepared batches to the global log under the log-head lock, signing the
   * transaction's statement (v1: each batch's).
   * NOTE: the global lock is taken last, by the statement that inserts the events (sent and parsed
   * before it waits), and held for that insert, the signatures and one write: every sealer in
   * every process queues on this row, so nothing slow may run while it is held.
   */
  private async appendToLog(trx: SqlSession, prepared: PreparedAppend): Promise<boolean> {
    const head = await appendRows(trx, prepared, this.checkpointer.witnessedSize);
    const { keyId } = head;
    if (!keyId)
      throw new KeyProviderError('No signing key is active yet: a worker activates one when it starts.');
    if (head.treeSize < this.checkpointer.witnessedSize) {
      throw new LogIntegrityError(
        `The log holds ${head.treeSize} events but the witness has seen ${this.checkpointer.witnessedSize}: ` +
          'the database was rolled back. Nothing is signed on top of it; run the full log verification.',
      );
    }
    const size = await appendPrepared(
      trx,
      prepared,
      { ...head, keyId },
      { signer: await this.keys.signer(keyId), origin: this.options.logOrigin },
    );
    return size - head.checkpointSize >= this.options.checkpoint.everyEvents;
  }
}

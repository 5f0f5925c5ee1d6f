import { MikroORM } from '@mikro-orm/core';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AUDIT_OPTIONS } from '../audit.constants';
import type { ResolvedAuditOptions } from '../audit-options.interface';
import { statedCheckpoint, signCheckpoint } from '../crypto/checkpoint';
import { appendLeafInPlace, consistencyProofFromRange, rangeRoot } from '../crypto/compact-range';
import { applyHeadUpdates, entityKey, type HeadUpdate } from '../crypto/head-map';
import { headsLine } from '../crypto/log-statements';
import { LogIntegrityError } from '../errors/log-integrity.error';
import { PeriodicPass } from './periodic-pass';
import { WitnessConflictError } from '../errors/witness-conflict.error';
import { KeyRegistry } from '../keys/key-registry.service';
import { headMapRoot, insertCheckpoint, readLogHead, setCheckpointSize } from '../storage/checkpoint.store';
import { loadHeadMapPaths, saveHeadMapNodes } from '../storage/head-map.store';
import {
  checkpointByNote,
  latestCheckpoint,
  leafHashes,
  leavesBetween,
  rangeOf,
  type LeafRow,
} from '../storage/log.store';
import { InjectAuditStore } from '../storage/audit-store';
import { type SqlSession, sqlOf } from '../storage/sql-session';
import { advisoryXactLock } from '../storage/locks.store';
import { activeKeyId } from '../storage/signing-key.store';

/**
 * Why a checkpoint pass runs: enough new events (EVENTS), the schedule (INTERVAL: cut if the log
 * grew, or as the idle heartbeat), or an operator or test asking for one at once (NOW).
 */
export type CheckpointTrigger = 'EVENTS' | 'INTERVAL' | 'NOW';

/** The advisory lock checkpoint cutters take turns on, in every worker process. */
const CUT_LOCK = 'audit-ledger:checkpoint';

/**
 * Cuts signed checkpoints and hands the newest to the witness. A checkpoint is cut, one cutter at
 * a time, from the previous checkpoint's compact range plus the leaves after it, after
 * checking that those leaves still lead to the recorded root and that the witness holds nothing
 * this database lacks: the worker never signs a checkpoint inconsistent with one it signed
 * before, whatever was done to the database.
 */
@Injectable()
export class Checkpointer {
  private readonly logger = new Logger(Checkpointer.name);
  private readonly schedule = new PeriodicPass<CheckpointTrigger>(
    'Checkpoint pass',
    this.logger,
    async (trigger) => {
      if (trigger === 'INTERVAL') await this.keys.ensureActiveKey();
      await this.run(trigger);
    },
  );

  /**
   * The largest tree size this process has seen the witness hold. The witness only grows, so it
   * is a safe lower bound: a log shorter than it was rolled back, and nothing may be signed on it.
   */
  witnessedSize = 0;

  constructor(
    @InjectAuditStore() private readonly orm: MikroORM,
    private readonly keys: KeyRegistry,
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
  ) {}

  /** Starts the schedule: rotation check, checkpoint and heartbeat every `checkpoint.intervalMs`. */
  start(): void {
    this.schedule.start(this.options.checkpoint.intervalMs, 'INTERVAL');
  }

  /** Stops the schedule and waits for a pass in progress. */
  stop(): Promise<void> {
    return this.schedule.stop();
  }

  /** Runs one pass in the background unless one is running; failures are logged loudly. */
  trigger(trigger: CheckpointTrigger): void {
    this.schedule.trigger(trigger);
  }

  /** Cuts a checkpoint if one is due and publishes the newest to the witness; returns its size. */
  async run(trigger: CheckpointTrigger): Promise<number | null> {
    const size = await this.cut(trigger);
    await this.publish();
    return size;
  }

  /** Cuts a checkpoint if one is due; returns its tree size, or null when none was due. */
  async cut(trigger: CheckpointTrigger): Promise<number | null> {
    const db = sqlOf(this.orm.em);
    return db.transaction(async (trx) => {
      // Cutters take turns (the heads map is updated checkpoint after checkpoint); sealers do not
      // wait for the leaves, the range and the heads map: the log head is read, not locked, and
      // its size and root are one row's, committed with the leaves they cover.
      await advisoryXactLock(trx, CUT_LOCK);
      const head = await readLogHead(trx);
      const { root_hash: recordedRoot } = head;
      const size = Number(head.tree_size);
      const last = await latestCheckpoint(trx);
      const from = last ? Number(last.tree_size) : 0;
      if (!this.due(trigger, size - from, last?.checkpoint_time ?? null) || !head.active_key_id) return null;
      await this.assertWitnessHeld(trx);
      const leaves = await leavesBetween(trx, from, size);
      const hashes = leafHashes(leaves, from, size);
      if (!hashes) throw new LogIntegrityError(`Leaves ${from + 1}…${size} of the log are not all present.`);
      const range = last ? [...rangeOf(last)] : [];
      hashes.forEach((leaf, i) => appendLeafInPlace(range, from + i, leaf));
      const root = rangeRoot(range);
      if (!root.equals(recordedRoot)) {
        throw new LogIntegrityError(`The log's leaves do not lead to the recorded root at size ${size}.`);
      }
      const headsRoot = await this.updateHeadsMap(trx, leaves);
      // Only now the log-head lock, for the signature: a key rotation (which updates the row)
      // cannot retire the key between reading and using it. Held for one signature and two writes.
      // The head named a key above; a rotation replaces it, never clears it.
      const keyId = (await activeKeyId(trx, true))!;
      const time = new Date(Math.max(Date.now(), last?.checkpoint_time.getTime() ?? 0));
      const note = signCheckpoint(
        { origin: this.options.logOrigin, size, root, time, extensions: [headsLine(headsRoot)] },
        await this.keys.signer(keyId),
      );
      await insertCheckpoint(trx, { size, root, headsRoot, time, keyId, range, note });
      await setCheckpointSize(trx, size);
      return size;
    });
  }

  /**
   * Gives the witness the newest checkpoint, with a consistency proof from the one it holds,
   * built from that checkpoint's stored compact range and the leaves after it.
   */
  async publish(): Promise<void> {
    const db = sqlOf(this.orm.em);
    for (let attempt = 0; ; attempt++) {
      const held = await this.refreshWitnessedSize();
      const newest = await latestCheckpoint(db);
      if (!newest || newest.note === held) return;
      const base = held ? await checkpointByNote(db, held) : null;
      if (held && !base) throw this.rollback();
      const from = base ? Number(base.tree_size) : 0;
      const to = Number(newest.tree_size);
      if (base && base.checkpoint_time.getTime() > newest.checkpoint_time.getTime()) return;
      // NOTE: the first checkpoint a witness gets needs no proof, so no leaves (all of them, from 0).
      let proof: Buffer[] = [];
      if (base) {
        const hashes = leafHashes(await leavesBetween(db, from, to), from, to);
        if (!hashes) throw new LogIntegrityError(`Leaves ${from + 1}…${to} of the log are not all present.`);
        proof = consistencyProofFromRange(from, rangeOf(base), hashes);
      }
      try {
        await this.options.witness.submit(newest.note, held, proof);
        return;
      } catch (error) {
        // Another worker published first: retry against what the witness holds now.
        if (!(error instanceof WitnessConflictError) || attempt >= 3) throw error;
      }
    }
  }

  private due(trigger: CheckpointTrigger, unsealed: number, lastTime: Date | null): boolean {
    if (!lastTime || trigger === 'NOW') return true;
    const { everyEvents, intervalMs, heartbeatMs } = this.options.checkpoint;
    const age = Date.now() - lastTime.getTime();
    if (trigger === 'EVENTS') return unsealed >= everyEvents;
    return (unsealed > 0 && age >= intervalMs) || age >= heartbeatMs;
  }

  /** The witness's checkpoint must be one this database holds; otherwise it was rolled back. */
  private async assertWitnessHeld(trx: SqlSession): Promise<void> {
    const held = await this.refreshWitnessedSize();
    if (held && !(await checkpointByNote(trx, held))) throw this.rollback();
  }

  /** Reads the witness's checkpoint and raises `witnessedSize` to its size; returns the note. */
  async refreshWitnessedSize(): Promise<string | null> {
    const held = await this.options.witness.latest();
    if (held) {
      const size = statedCheckpoint(held).size;
      this.witnessedSize = Math.max(this.witnessedSize, size);
    }
    return held;
  }

  private rollback(): LogIntegrityError {
    const error = new LogIntegrityError(
      'The witness holds a checkpoint this database does not (restored from an older backup, or checkpoints deleted): ' +
        'refusing to sign. Run the full log verification and restore the missing data.',
    );
    this.logger.error(error.message);
    return error;
  }

  /** Applies the heads of the entities the new leaves touched; returns the new map root. */
  private async updateHeadsMap(trx: SqlSession, leaves: LeafRow[]): Promise<Buffer> {
    const latest = new Map<string, HeadUpdate>();
    for (const leaf of leaves) {
      const key = entityKey(leaf.entity_type, leaf.entity_id);
      latest.set(key.toString('hex'), { key, chainSeq: Number(leaf.chain_seq), headHash: leaf.hash });
    }
    const updates = [...latest.values()];
    if (updates.length === 0) return (await headMapRoot(trx)) ?? Buffer.alloc(32);
    const nodes = await loadHeadMapPaths(
      trx,
      updates.map((u) => u.key),
    );
    const { root, written } = applyHeadUpdates(nodes, updates);
    await saveHeadMapNodes(trx, written);
    return root;
  }
}

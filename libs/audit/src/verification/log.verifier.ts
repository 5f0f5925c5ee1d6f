import { IsolationLevel, MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AUDIT_OPTIONS } from '../audit.constants';
import type { ResolvedAuditOptions } from '../audit-options.interface';
import { statedCheckpoint, type Checkpoint } from '../crypto/checkpoint';
import { rangeRoot, type CompactRange } from '../crypto/compact-range';
import { entityKey, headMapRoot } from '../crypto/head-map';
import { parseHeadsLine } from '../crypto/log-statements';
import { WitnessUnavailableError } from '../errors/witness-unavailable.error';
import type { SigningKeyRecord } from '../keys/signing-key-record';
import { checkpointCount, rangeOf, type CheckpointRow } from '../storage/log.store';
import { pagesAhead, storedLinkOf } from '../storage/sealed-event.mapper';
import {
  chainKey,
  checkStoredLink,
  entityOfChainKey,
  kept,
  type ChainPosition,
  type HashVerdict,
} from './chain-verifier';
import { EventHashPool } from './event-hash.pool';
import { hashBodyOf } from './hash-verdicts';
import type { LogFailure, LogFailureReason, LogVerification, LogVerifyOptions } from './log-verification';
import { openStatement, statementsVerifiedAhead } from './signed-statement';
import { movedPlace, proofNodes } from './batch-statement';
import { TreeReplay } from './tree-replay';
import { logVerificationEvent } from './log-verification-event';
import { StoreEventRecorder } from '../outbox/store-event.recorder';
import { InjectAuditStore } from '../storage/audit-store';
import { archivedHeads, latestArchiveCut, type ArchiveCut } from '../storage/archive.store';
import { type SqlSession, sqlOf, sqlIn } from '../storage/sql-session';
import {
  allCheckpoints,
  chainHeads,
  chainPositions,
  insertLogVerification,
  lastLogVerification,
  logHeadRoot,
  logPage,
  storedVerifierKeys,
  type LogRow,
} from '../storage/verification.store';

const PAGE = 5000;
// NOTE: the first page is small so that checking starts while PostgreSQL reads the next one.
const FIRST_PAGE = 500;

const GENESIS: ChainPosition = { chainSeq: 0, hash: Buffer.alloc(32) };

interface Start {
  size: number;
  range: CompactRange;
  /** Entity chain positions known before `size`; null = look them up (incremental). */
  chains: Map<string, ChainPosition> | null;
}

/**
 * Verifies the log against the witness's checkpoint. FULL reads every event once, in global
 * order, in pages: each chain recomputed, every leaf appended to the tree, every batch statement
 * and checkpoint signature checked with its root, the latest checkpoint's heads map recomputed,
 * and the witness's root matched. INCREMENTAL starts from where the last successful run stopped
 * (its compact range) and checks only the newer leaves the same way, then their consistency with
 * the witness; old events stay covered by read-time verification and the next full run.
 */
@Injectable()
export class LogVerifier {
  private readonly logger = new Logger(LogVerifier.name);

  constructor(
    @InjectAuditStore() private readonly orm: MikroORM,
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
    private readonly recorder: StoreEventRecorder,
    private readonly hashes: EventHashPool,
  ) {}

  async verify(
    mode: 'FULL' | 'INCREMENTAL' = 'FULL',
    options: LogVerifyOptions = {},
  ): Promise<LogVerification> {
    const failures: LogFailure[] = [];
    const fail = (reason: LogFailureReason, globalSeq: number | null, detail: string) =>
      failures.push({ reason, globalSeq, detail });
    // The witness first, then one REPEATABLE READ snapshot of the store: sealers and checkpoints
    // committing meanwhile can neither raise a false alarm nor slip in half-seen.
    this.hashes.warm();
    const [trusted, witnessNote] = await Promise.all([
      this.options.witness.keys(),
      this.options.witness.latest(),
    ]);
    if (trusted.length === 0 && witnessNote === null) await this.refuseEmptyWitness();
    const run = await (this.orm.em.fork() as EntityManager).transactional(
      (em) => this.verifySnapshot(em, mode, trusted, witnessNote, fail, options.onProgress),
      { isolationLevel: IsolationLevel.REPEATABLE_READ, readOnly: true },
    );
    const valid = failures.length === 0;
    const result: LogVerification = {
      valid,
      mode: run.incremental ? 'INCREMENTAL' : 'FULL',
      fromSize: run.fromSize,
      treeSize: run.size,
      witnessedSize: run.witnessedSize,
      checkedEvents: run.size - run.fromSize,
      checkedCheckpoints: run.checkedCheckpoints,
      failures,
    };
    const stop =
      valid && run.latest && Number(run.latest.tree_size) === run.size
        ? { mode, treeSize: run.size, compactRange: run.range, checkpointNote: run.latest.note }
        : null;
    await this.recordRun(result, stop);
    return result;
  }

  /**
   * Records the run as a sealed event, and where a successful run stopped (the next incremental
   * run starts there), in one transaction. A failed run's record failing (a read-only role) never
   * hides its verdict: it is logged and the verdict returned.
   */
  private async recordRun(
    result: LogVerification,
    stop: Parameters<typeof insertLogVerification>[1] | null,
  ): Promise<void> {
    const event = logVerificationEvent(result, this.options.logOrigin);
    try {
      await (this.orm.em.fork() as EntityManager).transactional(async (em) => {
        if (stop) await insertLogVerification(sqlIn(em), stop);
        await this.recorder.record(em, event);
      });
    } catch (error) {
      if (stop) throw error;
      this.logger.warn(`Could not record the failed log verification: ${String(error)}`);
    }
  }

  /**
   * A witness with no key and no checkpoint, over a store that has published checkpoints, is
   * the wrong witness (or none), not evidence of tampering: said once, as a configuration error.
   */
  private async refuseEmptyWitness(): Promise<void> {
    const published = await checkpointCount(sqlOf(this.orm.em));
    if (published === 0) return;
    const where = this.options.witness.describe?.() ?? 'the configured witness';
    throw new WitnessUnavailableError(
      `The witness (${where}) holds no published key and no checkpoint, but the store has ${published} ` +
        'checkpoint(s) published to a witness: point the verifier at the witness the store publishes ' +
        'to (AUDIT_WITNESS_DIR, or the `witness` option). Nothing was verified.',
    );
  }

  private async verifySnapshot(
    em: EntityManager,
    mode: 'FULL' | 'INCREMENTAL',
    trusted: SigningKeyRecord[],
    witnessNote: string | null,
    fail: (reason: LogFailureReason, globalSeq: number | null, detail: string) => void,
    onProgress?: LogVerifyOptions['onProgress'],
  ) {
    const db = sqlIn(em);
    await this.checkKeys(db, trusted, fail);
    const witnessed = witnessNote
      ? this.open(witnessNote, trusted, fail, 'WITNESS_CHECKPOINT_INVALID')
      : null;
    if (!witnessNote) fail('WITNESS_CHECKPOINT_INVALID', null, 'the witness holds no checkpoint yet');

    const checkpoints = await allCheckpoints(db);
    if (witnessNote && !checkpoints.some((c) => c.note === witnessNote)) {
      fail('ROLLED_BACK', witnessed?.size ?? null, "the database lacks the witness's checkpoint");
    }
    // Leaves before the newest archive cut left the store: a run starts there at the latest,
    // with the chain heads the cut recorded (the archive segments verify offline).
    const cut = await latestArchiveCut(db);
    const fromCut = cut ? await this.cutStart(db, cut, trusted, fail) : null;
    const last = mode === 'INCREMENTAL' ? await this.lastVerified(db, trusted) : null;
    const start = last && (!cut || last.size >= cut.size) ? last : null;
    const state = start ?? fromCut ?? { size: 0, range: [], chains: new Map<string, ChainPosition>() };
    // NOTE: read before the events, for the progress total; the snapshot makes it the same row.
    const log = await logHeadRoot(db);
    const progress =
      onProgress && ((size: number) => onProgress(size - state.size, Number(log.tree_size) - state.size));
    const result = await this.stream(em, state, checkpoints, trusted, witnessed, fail, progress);

    if (Number(log.tree_size) !== result.size || !log.root_hash.equals(rangeRoot(result.range))) {
      fail(
        'HEAD_MISMATCH',
        result.size,
        `the log head records size ${log.tree_size}, the events end at ${result.size}`,
      );
    }
    if (witnessed && result.size < witnessed.size) {
      fail(
        'ROLLED_BACK',
        result.size + 1,
        `the witness's checkpoint covers ${witnessed.size} events, the database holds ${result.size}`,
      );
    }
    if (!start) await this.checkChainHeads(db, result.chains, fail);
    return {
      ...result,
      incremental: start !== null,
      fromSize: state.size,
      witnessedSize: witnessed?.size ?? 0,
      latest: checkpoints[checkpoints.length - 1] ?? null,
    };
  }

  private async stream(
    em: EntityManager,
    start: Start,
    checkpoints: CheckpointRow[],
    trusted: SigningKeyRecord[],
    witnessed: Checkpoint | null,
    fail: (reason: LogFailureReason, globalSeq: number | null, detail: string) => void,
    progress?: (size: number) => void,
  ) {
    // The tree and its statements replay in the shared core; what only the database has (chain
    // positions in rows, the heads map, the witness) is checked here. The core's `size` counts the
    // leaves replayed; `lastSeq` is the position the store claimed last. A deleted event makes them
    // differ: named once as a gap, then every later root simply fails to match.
    const tree = new TreeReplay(
      start,
      { origin: this.options.logOrigin, trusted, latest: Date.now() + this.options.maxClockSkewMs },
      (f) => fail(f.kind === 'batch' ? 'BATCH_INVALID' : 'CHECKPOINT_INVALID', f.size, f.detail),
    );
    let lastSeq = start.size;
    const chains = start.chains ?? new Map<string, ChainPosition>();
    const pendingCheckpoints = checkpoints.filter((c) => Number(c.tree_size) >= start.size);
    let checkedCheckpoints = 0;
    const latest = pendingCheckpoints[pendingCheckpoints.length - 1];
    const atSize = () => {
      while (pendingCheckpoints.length && Number(pendingCheckpoints[0].tree_size) <= tree.size) {
        const row = pendingCheckpoints.shift()!;
        checkedCheckpoints++;
        const c = tree.checkpoint(row.note);
        // NOTE: only a full run knows every entity's head; an incremental one leaves the heads map to reads.
        if (c && row === latest && start.chains) this.checkHeadsRoot(c, chains, fail);
      }
      tree.settle();
      if (witnessed && witnessed.size === tree.size && !witnessed.root.equals(tree.root())) {
        fail(
          'ROLLED_BACK',
          tree.size,
          "the events do not lead to the witness's root: the log was rewritten or forked",
        );
      }
    };
    atSize();
    progress?.(tree.size);
    const db = sqlIn(em);
    const read = (after: number, limit: number) => logPage(db, after, limit);
    const check = async (rows: LogRow[], ahead: Promise<Set<string>>, hashed: Promise<Uint8Array>) => {
      if (!start.chains) await this.loadPredecessors(db, rows, chains);
      const verified = await ahead;
      const verdicts = await hashed;
      for (const [i, row] of rows.entries()) {
        const globalSeq = Number(row.global_seq);
        if (globalSeq !== lastSeq + 1) {
          fail('GLOBAL_SEQUENCE_GAP', lastSeq + 1, `expected global_seq ${lastSeq + 1}, found ${globalSeq}`);
        }
        lastSeq = globalSeq;
        const key = chainKey(row.entity_type, row.entity_id);
        const prev = chains.get(key);
        const next = checkStoredLink(
          storedLinkOf(row),
          verdicts[i] as HashVerdict,
          prev ?? GENESIS,
          (_seq, _id, reason, detail) => fail('CHAIN_INVALID', globalSeq, `${reason}: ${detail}`),
        );
        // NOTE: the entity's kept position is overwritten, not replaced: no buffer per event.
        // Every position in the map is `kept`: its bytes are the map's own, never GENESIS.
        if (prev && prev.hash.length === next.hash.length) {
          next.hash.copy(prev.hash);
          prev.chainSeq = next.chainSeq;
        } else chains.set(key, kept(next));
        tree.append(row.hash);
        this.checkBatch(row, tree, verified, fail);
        atSize();
        // NOTE: after every event, not every page: a store smaller than one page still reports
        // each tenth (the callback is cheap; the CLI writes a line only when a tenth is crossed).
        progress?.(tree.size);
      }
      progress?.(tree.size);
    };
    let previous: [LogRow[], Promise<Set<string>>, Promise<Uint8Array>] | null = null;
    for await (const rows of pagesAhead(read, (r) => Number(r.global_seq), start.size, PAGE, FIRST_PAGE)) {
      // NOTE: this page's batch statement signatures are checked in libuv's thread pool, and its
      // events hashed in the verification threads, while the previous page's links, leaves and
      // statements are checked here.
      const notes = rows.flatMap((r) => (r.batch_note ? [r.batch_note] : []));
      const ahead = statementsVerifiedAhead(notes, trusted);
      ahead.catch(() => undefined); // awaited on the next turn
      const hashed = this.hashes.verdicts(rows.map(hashBodyOf));
      hashed.catch(() => undefined); // awaited on the next turn
      if (previous) await check(...previous);
      previous = [rows, ahead, hashed];
    }
    if (previous) await check(...previous);
    tree.finish();
    return { size: tree.size, range: tree.range, chains, checkedCheckpoints };
  }

  /** The event's key and, at its batch's end, the batch statement stored with it. */
  private checkBatch(
    row: LogRow,
    tree: TreeReplay,
    verifiedAhead: ReadonlySet<string>,
    fail: (reason: LogFailureReason, globalSeq: number | null, detail: string) => void,
  ): void {
    const globalSeq = Number(row.global_seq);
    const batchTreeSize = row.batch_tree_size === null ? null : Number(row.batch_tree_size);
    if (!row.key_id || batchTreeSize === null || batchTreeSize < globalSeq) {
      fail('BATCH_INVALID', globalSeq, 'the event is unsigned or names a batch before it');
      return;
    }
    tree.eventKey(batchTreeSize, row.key_id, globalSeq, row.id);
    if (batchTreeSize !== globalSeq) return;
    tree.batch(
      row.batch_note,
      {
        keyId: row.key_id,
        treeSize: batchTreeSize,
        head: {
          key: entityKey(row.entity_type, row.entity_id),
          chainSeq: Number(row.chain_seq),
          hash: row.hash,
        },
        moved: movedPlace(row.batch_head_index, proofNodes(row.batch_head_proof)),
      },
      verifiedAhead,
    );
  }

  private checkHeadsRoot(
    checkpoint: Checkpoint,
    chains: Map<string, ChainPosition>,
    fail: (reason: LogFailureReason, globalSeq: number | null, detail: string) => void,
  ): void {
    const entries = [...chains].map(([key, p]) => ({
      key: entityOfChainKey(key),
      chainSeq: p.chainSeq,
      headHash: p.hash,
    }));
    let committed: Buffer | null = null;
    try {
      committed = parseHeadsLine(checkpoint.extensions);
    } catch {
      committed = null;
    }
    if (!committed?.equals(headMapRoot(entries))) {
      fail(
        'HEADS_ROOT_MISMATCH',
        checkpoint.size,
        'the checkpoint commits to other entity heads than the events make',
      );
    }
  }

  private open(
    note: string,
    trusted: SigningKeyRecord[],
    fail: (reason: LogFailureReason, globalSeq: number | null, detail: string) => void,
    reason: LogFailureReason,
  ): Checkpoint | null {
    const opened = openStatement(note, trusted, this.options.logOrigin);
    if (opened.ok) return opened.checkpoint;
    let size: number | null = null;
    try {
      size = statedCheckpoint(note).size;
    } catch {
      size = null;
    }
    fail(reason, size, `${opened.reason}: ${opened.detail}`);
    return null;
  }

  /** Incremental runs: the position before each entity's first new event, from the stored event. */
  private async loadPredecessors(db: SqlSession, rows: LogRow[], chains: Map<string, ChainPosition>) {
    const firstOfEntity = new Map<string, LogRow>();
    for (const r of rows) {
      const key = chainKey(r.entity_type, r.entity_id);
      if (!chains.has(key) && !firstOfEntity.has(key)) firstOfEntity.set(key, r);
    }
    const missing = [...firstOfEntity.values()].filter((r) => Number(r.chain_seq) > 1);
    if (missing.length === 0) return;
    const found = await chainPositions(
      db,
      missing.map((r) => ({
        entityType: r.entity_type,
        entityId: r.entity_id,
        chainSeq: Number(r.chain_seq) - 1,
      })),
    );
    for (const r of found) {
      chains.set(chainKey(r.entity_type, r.entity_id), kept({ chainSeq: Number(r.chain_seq), hash: r.hash }));
    }
  }

  /** The state at the archive cut, its range checked against the segment's signed seal. */
  private async cutStart(
    db: SqlSession,
    cut: ArchiveCut,
    trusted: SigningKeyRecord[],
    fail: (reason: LogFailureReason, globalSeq: number | null, detail: string) => void,
  ): Promise<Start> {
    const opened = openStatement(cut.sealNote, trusted, this.options.logOrigin);
    if (
      !opened.ok ||
      opened.checkpoint.size !== cut.size ||
      !opened.checkpoint.root.equals(rangeRoot(cut.range))
    ) {
      fail(
        'ARCHIVE_CUT_INVALID',
        cut.size,
        opened.ok
          ? "the archive cut's range does not match its signed seal"
          : `archive seal: ${opened.reason}: ${opened.detail}`,
      );
    }
    const chains = new Map<string, ChainPosition>();
    for (const head of (await archivedHeads(db)).values())
      chains.set(
        chainKey(head.entityType, head.entityId),
        kept({ chainSeq: head.chainSeq, hash: head.hash }),
      );
    return { size: cut.size, range: cut.range, chains };
  }

  /** Where the last successful run stopped, if its range still leads to a signed checkpoint's root. */
  private async lastVerified(db: SqlSession, trusted: SigningKeyRecord[]): Promise<Start | null> {
    const last = await lastLogVerification(db);
    if (!last) return null;
    const opened = openStatement(last.checkpoint_note, trusted, this.options.logOrigin);
    const range = rangeOf({ compact_range: last.compact_range } as CheckpointRow);
    if (
      !opened.ok ||
      opened.checkpoint.size !== Number(last.tree_size) ||
      !opened.checkpoint.root.equals(rangeRoot(range))
    ) {
      return null;
    }
    return { size: Number(last.tree_size), range, chains: null };
  }

  private async checkKeys(
    db: SqlSession,
    trusted: SigningKeyRecord[],
    fail: (reason: LogFailureReason, globalSeq: number | null, detail: string) => void,
  ): Promise<void> {
    for (const key of await storedVerifierKeys(db)) {
      if (!trusted.some((t) => t.keyId === key.key_id && t.verifierKey === key.verifier_key)) {
        fail('KEY_MISMATCH', null, `stored key ${key.key_id} is not a key the witness published`);
      }
    }
  }

  private async checkChainHeads(
    db: SqlSession,
    chains: Map<string, ChainPosition>,
    fail: (reason: LogFailureReason, globalSeq: number | null, detail: string) => void,
  ): Promise<void> {
    const heads = await chainHeads(db);
    const seen = new Set<string>();
    for (const h of heads) {
      const key = chainKey(h.entity_type, h.entity_id);
      seen.add(key);
      const chain = chains.get(key);
      if (!chain || chain.chainSeq !== Number(h.last_seq) || !h.last_hash?.equals(chain.hash)) {
        fail(
          'HEAD_MISMATCH',
          null,
          `the chain head of ${h.entity_type} ${h.entity_id} disagrees with its events`,
        );
      }
    }
    if ([...chains.keys()].some((k) => !seen.has(k)))
      fail('HEAD_MISMATCH', null, 'events of an entity without a chain head');
  }
}

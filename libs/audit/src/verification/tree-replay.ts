import type { Checkpoint } from '../crypto/checkpoint';
import { appendLeafInPlace, rangeRoot, type CompactRange } from '../crypto/compact-range';
import { merkleLeafHash } from '../crypto/merkle';
import type { SigningKeyRecord } from '../keys/signing-key-record';
import { checkBatchStatement, PendingRoots, type BatchEnd } from './batch-statement';
import { openStatement, type OpenedStatement } from './signed-statement';

/** Which signed statement of the log failed: a verifier names it in its own vocabulary. */
export type TreeFailureKind = 'batch' | 'checkpoint';

export interface TreeFailure {
  kind: TreeFailureKind;
  /** The tree size (the leaf's global_seq) concerned. */
  size: number;
  /** The event concerned, when the source knows it. */
  eventId?: string | null;
  detail: string;
}

export interface TreeRules {
  origin: string;
  trusted: SigningKeyRecord[];
  /** The latest time a statement may bear: the verifier's clock plus its skew tolerance (ms). */
  latest: number;
}

/**
 * The log's tree replayed leaf by leaf with its signed statements, whatever the source (pages of
 * PostgreSQL rows, a bundle's files): every leaf appended in order; each batch statement opened
 * once, checked against the head it is stored with (`checkBatchStatement`: v1 or v2, no
 * downgrade) and its root against the tree once the tree reaches its size; each checkpoint at its
 * size, with its root, never dated before the previous one or after the clock allows; the events
 * of one batch naming one key. Pure: no I/O, and no input makes it throw; what fails is reported
 * through `fail` and the replay goes on.
 */
export class TreeReplay {
  size: number;
  range: CompactRange;
  /** The newest statement format met: no v1 after v2 (downgrade). */
  private format: 1 | 2 = 1;
  /** Roots v2 statements sign at their transaction's end, until the tree gets there. */
  private readonly roots = new PendingRoots();
  /** The statement opened last: a v2 note is stored with each batch of its transaction, consecutively. */
  private last: { note: string; opened: OpenedStatement } | null = null;
  private readonly trustedIds: ReadonlySet<string>;
  private checkpointTime = -Infinity;
  /** Batch end → the key its first event named, until its statement is met. */
  private readonly batchKeys = new Map<
    number,
    { keyId: string; globalSeq: number; eventId: string | null }
  >();

  constructor(
    start: { size: number; range: CompactRange },
    private readonly rules: TreeRules,
    private readonly fail: (failure: TreeFailure) => void,
  ) {
    this.size = start.size;
    // NOTE: a copy, appended to in place: the caller's range is never changed.
    this.range = [...start.range];
    this.trustedIds = new Set(rules.trusted.map((k) => k.keyId));
  }

  /** The tree's root now. */
  root(): Buffer {
    return rangeRoot(this.range);
  }

  /** Appends the leaf of the event with this hash at position `size` (its global_seq is size + 1). */
  append(eventHash: Buffer): void {
    appendLeafInPlace(this.range, this.size, merkleLeafHash(eventHash));
    this.size += 1;
  }

  /**
   * An event (at `globalSeq`) of the batch ending at `batchEnd` names `keyId`: it must be a
   * published key, and the one the batch's earlier events named; the batch's statement must be
   * signed by it.
   */
  eventKey(batchEnd: number, keyId: string, globalSeq: number, eventId: string | null = null): void {
    if (!this.trustedIds.has(keyId))
      this.fail({
        kind: 'batch',
        size: globalSeq,
        eventId,
        detail: `the event names key ${keyId}, never published`,
      });
    const first = this.batchKeys.get(batchEnd);
    if (!first) this.batchKeys.set(batchEnd, { keyId, globalSeq, eventId });
    else if (first.keyId !== keyId)
      this.fail({
        kind: 'batch',
        size: globalSeq,
        eventId,
        detail: `the events of the batch ending at ${batchEnd} name two keys (${first.keyId}, ${keyId})`,
      });
  }

  /**
   * The statement of the batch ending at `end.treeSize` (the current size), with the head there
   * and, v2, its place; `end.keyId` null: the key its events named (`eventKey`), else its signer's.
   * Its root is compared once the tree reaches the size it signs (`settle`).
   */
  batch(note: string | null, end: BatchEnd, verifiedAhead?: ReadonlySet<string>): boolean {
    const at = end.treeSize;
    const named = this.batchKeys.get(at);
    this.batchKeys.delete(at);
    if (note === null) return this.reject('batch', at, 'no batch statement');
    const opened = this.open(note, 'batch', at, verifiedAhead);
    if (!opened) return false;
    const keyId = end.keyId ?? named?.keyId ?? opened.keyId;
    const verdict = checkBatchStatement(opened, { ...end, keyId }, this.format);
    if (!verdict.ok) return this.reject('batch', at, `${verdict.reason}: ${verdict.detail}`);
    this.format = verdict.format;
    if (!this.roots.expect(verdict.size, verdict.root))
      return this.reject('batch', at, `two statements sign different trees of size ${verdict.size}`);
    return true;
  }

  /**
   * A checkpoint the source holds at the current size. Returns it once it verifies (signature,
   * key window, size, root, time order), for the checks only its verifier can make (the heads map,
   * the witness).
   */
  checkpoint(note: string, verifiedAhead?: ReadonlySet<string>): Checkpoint | null {
    const opened = this.open(note, 'checkpoint', this.size, verifiedAhead);
    if (!opened) return null;
    const { checkpoint } = opened;
    let ok = true;
    if (checkpoint.size !== this.size || !checkpoint.root.equals(this.root()))
      ok = this.reject(
        'checkpoint',
        checkpoint.size,
        'the checkpoint does not match the tree the leaves make',
      );
    if (checkpoint.time.getTime() < this.checkpointTime)
      ok = this.reject('checkpoint', checkpoint.size, "its time goes back before the previous checkpoint's");
    this.checkpointTime = Math.max(this.checkpointTime, checkpoint.time.getTime());
    return ok ? checkpoint : null;
  }

  /** After the statements at the current size: the root a v2 statement signed for it, if any. */
  settle(): void {
    if (this.roots.settle(this.size, () => this.root()) === false)
      this.fail({
        kind: 'batch',
        size: this.size,
        detail: `the statement signed at tree size ${this.size} does not match the tree the leaves make`,
      });
  }

  /**
   * At the end of the source: statements that sign a tree it never reached, and batches whose
   * events it holds but whose statement never came.
   */
  finish(): void {
    for (const size of this.roots.unsettled())
      this.fail({
        kind: 'batch',
        size: this.size + 1,
        detail: `a batch statement signs a tree of ${size} leaves; they end at ${this.size}: the tail is missing`,
      });
    for (const [end, first] of this.batchKeys)
      this.fail({
        kind: 'batch',
        size: first.globalSeq,
        eventId: first.eventId,
        detail: `no batch statement at tree size ${end}, which its events name`,
      });
  }

  private open(
    note: string,
    kind: TreeFailureKind,
    at: number,
    verifiedAhead?: ReadonlySet<string>,
  ): { checkpoint: Checkpoint; keyId: string } | null {
    if (this.last?.note !== note)
      this.last = { note, opened: openStatement(note, this.rules.trusted, this.rules.origin, verifiedAhead) };
    const { opened } = this.last;
    if (!opened.ok) {
      this.reject(kind, at, `${opened.reason}: ${opened.detail}`);
      return null;
    }
    if (opened.checkpoint.time.getTime() > this.rules.latest) {
      this.reject(kind, at, `dated in the future (${opened.checkpoint.time.toISOString()})`);
      return null;
    }
    return { checkpoint: opened.checkpoint, keyId: opened.key.keyId };
  }

  private reject(kind: TreeFailureKind, size: number, detail: string): false {
    this.fail({ kind, size, detail });
    return false;
  }
}

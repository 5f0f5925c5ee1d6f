import type { Checkpoint } from '../crypto/checkpoint';
import {
  headMoved,
  parseStatementClaim,
  STATEMENT_V2,
  type EntityHead,
  type StatementClaim,
} from '../crypto/log-statements';

/**
 * What the stored or exported data says about the event that ends a batch: the chain head the
 * batch's signed statement must vouch for, and, for a v2 statement, where that head sits among the
 * heads its sealing transaction moved.
 */
export interface BatchEnd {
  /** The key the batch's events name; null when the verifier holds none of them. */
  keyId: string | null;
  /** The batch's end: the global_seq of its last event. */
  treeSize: number;
  /**
   * The chain head there. `key` and `chainSeq` are null when the verifier holds the leaf but not
   * the event (a filtered bundle): a v1 statement is then matched on the hash alone.
   */
  head: { key: Buffer | null; chainSeq: number | null; hash: Buffer };
  /** v2 only: the head's leaf index among the moved heads, and its audit path. */
  moved: { index: number; proof: Buffer[] } | null;
}

/** Why a batch statement does not vouch for the batch it is stored with. */
export type BatchRejection =
  /** Its last line is neither a v1 `head` line nor a v2 `audit/v2 moved` line. */
  | 'MALFORMED'
  /** Signed by another key than the one the batch's events name. */
  | 'KEY_MISMATCH'
  /** A v1 statement after the log moved to v2: an older format may not follow a newer one. */
  | 'DOWNGRADE'
  /** It signs another tree size than the batch ends at (v1) or one before it (v2). */
  | 'SIZE_MISMATCH'
  /** It vouches for a later position of the same chain: events after this one are missing. */
  | 'TRUNCATED'
  /** It vouches for another chain head, or (v2) the head's proof does not lead to its root. */
  | 'HEAD_MISMATCH';

export type BatchVerdict =
  | {
      ok: true;
      format: 1 | 2;
      /**
       * The tree the statement signs: its size and root. v1: the batch's end; v2: the end of the
       * sealing transaction, at or after it. The caller compares the root once its tree is there.
       */
      size: number;
      root: Buffer;
    }
  | { ok: false; reason: BatchRejection; detail: string };

/**
 * Checks an opened (signature-verified) batch statement against the batch end it is stored with.
 * Pure and total: any input gives a verdict, never an exception. `minFormat`: the newest format
 * the verifier has already met in this log (2 refuses a v1 statement: no downgrade).
 */
export function checkBatchStatement(
  opened: { checkpoint: Checkpoint; keyId: string },
  end: BatchEnd,
  minFormat: 1 | 2 = 1,
): BatchVerdict {
  const { checkpoint } = opened;
  let claim: StatementClaim;
  try {
    claim = parseStatementClaim(checkpoint.extensions);
  } catch (error) {
    return { ok: false, reason: 'MALFORMED', detail: (error as Error).message };
  }
  if (end.keyId !== null && opened.keyId !== end.keyId) {
    return {
      ok: false,
      reason: 'KEY_MISMATCH',
      detail: `the statement is signed by ${opened.keyId}, the batch's events name ${end.keyId}`,
    };
  }
  if (claim.format === 1) {
    if (minFormat === 2) {
      return {
        ok: false,
        reason: 'DOWNGRADE',
        detail: `a v1 statement at tree size ${checkpoint.size} after ${STATEMENT_V2} statements`,
      };
    }
    return checkV1(checkpoint, claim.head, end);
  }
  if (checkpoint.size < end.treeSize) {
    return {
      ok: false,
      reason: 'SIZE_MISMATCH',
      detail: `the statement signs tree size ${checkpoint.size}, before the batch's end at ${end.treeSize}`,
    };
  }
  const { key, chainSeq, hash } = end.head;
  const vouched =
    end.moved !== null &&
    key !== null &&
    chainSeq !== null &&
    headMoved(claim.moved, { key, chainSeq, hash }, end.moved.index, end.moved.proof);
  if (!vouched) {
    return {
      ok: false,
      reason: 'HEAD_MISMATCH',
      detail: end.moved
        ? `the chain head is not head ${end.moved.index} of the ${claim.moved.count} the statement commits to`
        : 'the batch carries no proof under its v2 statement',
    };
  }
  return { ok: true, format: 2, size: checkpoint.size, root: checkpoint.root };
}

function checkV1(checkpoint: Checkpoint, signed: EntityHead, end: BatchEnd): BatchVerdict {
  if (checkpoint.size !== end.treeSize) {
    return {
      ok: false,
      reason: 'SIZE_MISMATCH',
      detail: `the statement signs tree size ${checkpoint.size}, the batch ends at ${end.treeSize}`,
    };
  }
  const { key, chainSeq, hash } = end.head;
  if (key && signed.key.equals(key) && chainSeq !== null && signed.chainSeq > chainSeq) {
    return {
      ok: false,
      reason: 'TRUNCATED',
      detail: `the statement signs chain_seq ${signed.chainSeq}; the chain ends at ${chainSeq}`,
    };
  }
  const matches =
    signed.hash.equals(hash) &&
    (key === null || signed.key.equals(key)) &&
    (chainSeq === null || signed.chainSeq === chainSeq);
  if (!matches) {
    return { ok: false, reason: 'HEAD_MISMATCH', detail: 'the statement vouches for another chain head' };
  }
  return { ok: true, format: 1, size: checkpoint.size, root: checkpoint.root };
}

/** A stored audit path (32-byte hashes, concatenated) as its nodes; null when it is not one. */
export function proofNodes(bytes: Buffer | null): Buffer[] | null {
  if (!bytes || bytes.length % 32 !== 0) return null;
  const nodes: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 32) nodes.push(bytes.subarray(at, at + 32));
  return nodes;
}

/** A stored or exported v2 place (leaf index and path), when both parts are well formed. */
export function movedPlace(index: unknown, proof: Buffer[] | null): BatchEnd['moved'] {
  return typeof index === 'number' && Number.isSafeInteger(index) && index >= 0 && proof
    ? { index, proof }
    : null;
}

/**
 * The roots that v2 statements sign at the end of their sealing transaction, held until a replay's
 * tree reaches that size. Two statements that sign different roots for one size are a fork.
 */
export class PendingRoots {
  private readonly pending = new Map<number, Buffer>();

  /** Expects `root` at `size`; false when another root is expected there already. */
  expect(size: number, root: Buffer): boolean {
    const held = this.pending.get(size);
    if (held) return held.equals(root);
    this.pending.set(size, root);
    return true;
  }

  /** At tree size `size`: null when nothing is expected there, else whether `root()` is the one. */
  settle(size: number, root: () => Buffer): boolean | null {
    const expected = this.pending.get(size);
    if (!expected) return null;
    this.pending.delete(size);
    return expected.equals(root());
  }

  /** The sizes still expected, in order: past the end of what was replayed. */
  unsettled(): number[] {
    return [...this.pending.keys()].sort((a, b) => a - b);
  }
}

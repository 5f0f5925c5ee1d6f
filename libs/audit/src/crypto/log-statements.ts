import { InvalidCheckpointError } from '../errors/invalid-checkpoint.error';
import { inclusionProofs, merkleLeafHash, verifyInclusionProof } from './merkle';

// The extension lines this library adds to the C2SP checkpoint body (after the `time` line).
// Tools that only know tlog-checkpoint ignore them; audit verifiers require them.

/** The entity head a batch statement vouches for. */
export interface EntityHead {
  /** head-map `entityKey(entityType, entityId)`. */
  key: Buffer;
  chainSeq: number;
  hash: Buffer;
}

/** `head <hex entity key> <chain seq> <hex head hash>`: the last line of a batch statement. */
export function headLine(head: EntityHead): string {
  return `head ${head.key.toString('hex')} ${head.chainSeq} ${head.hash.toString('hex')}`;
}

/** `heads <base64 entity-heads map root>`: the last line of a checkpoint. */
export function headsLine(root: Buffer): string {
  return `heads ${root.toString('base64')}`;
}

const HEAD_LINE = /^head ([0-9a-f]{64}) ([1-9][0-9]{0,15}) ([0-9a-f]{64})$/;

export function parseHeadLine(extensions: string[]): EntityHead {
  const match = extensions.length === 1 ? HEAD_LINE.exec(extensions[0]) : null;
  const chainSeq = match ? Number(match[2]) : NaN;
  if (!match || !Number.isSafeInteger(chainSeq))
    throw new InvalidCheckpointError('A batch statement ends with one `head` line.');
  return { key: Buffer.from(match[1], 'hex'), chainSeq, hash: Buffer.from(match[3], 'hex') };
}

/**
 * Format v2 (docs/integrity.md §6.2): one statement per sealing transaction, signed once, commits
 * to every chain head the transaction moved as the RFC 6962 root over their `head` lines, in the
 * order the transaction appended them. The line names its format, so the signed data itself says
 * which rules apply: a v1 statement ends with a `head` line, a v2 one with this.
 */
export const STATEMENT_V2 = 'audit/v2';

/** What a v2 statement commits to: how many heads moved, and their tree's root. */
export interface MovedHeads {
  count: number;
  root: Buffer;
}

/** `audit/v2 moved <count> <base64 root of the moved heads>`: the last line of a v2 statement. */
export function movedLine(moved: MovedHeads): string {
  return `${STATEMENT_V2} moved ${moved.count} ${moved.root.toString('base64')}`;
}

const MOVED_LINE = /^audit\/v2 moved ([1-9][0-9]{0,15}) ([A-Za-z0-9+/]{43}=)$/;

/** The statement's format and what it vouches for; throws on any other ending. */
export type StatementClaim = { format: 1; head: EntityHead } | { format: 2; moved: MovedHeads };

export function parseStatementClaim(extensions: string[]): StatementClaim {
  if (extensions.length === 1 && extensions[0].startsWith(`${STATEMENT_V2} `)) {
    const match = MOVED_LINE.exec(extensions[0]);
    const count = match ? Number(match[1]) : NaN;
    const root = match ? Buffer.from(match[2], 'base64') : null;
    if (!match || !root || root.toString('base64') !== match[2] || !Number.isSafeInteger(count))
      throw new InvalidCheckpointError('A v2 statement ends with one `audit/v2 moved` line.');
    return { format: 2, moved: { count, root } };
  }
  return { format: 1, head: parseHeadLine(extensions) };
}

/** The moved-heads tree's leaf of one head: the hash of its v1 `head` line. */
export function movedHeadLeaf(head: EntityHead): Buffer {
  return merkleLeafHash(Buffer.from(headLine(head), 'utf8'));
}

/** The v2 commitment to `heads`, and each head's inclusion proof under it. */
export function movedHeads(heads: EntityHead[]): { moved: MovedHeads; proofs: Buffer[][] } {
  const { root, proofs } = inclusionProofs(heads.map(movedHeadLeaf));
  return { moved: { count: heads.length, root }, proofs };
}

/** Is `head` leaf `index` of the moved heads `moved` commits to? Malformed input is false. */
export function headMoved(moved: MovedHeads, head: EntityHead, index: number, proof: Buffer[]): boolean {
  return verifyInclusionProof(index, moved.count, movedHeadLeaf(head), proof, moved.root);
}

export function parseHeadsLine(extensions: string[]): Buffer {
  const match = extensions.length === 1 ? /^heads ([A-Za-z0-9+/]{43}=)$/.exec(extensions[0]) : null;
  const root = match && Buffer.from(match[1], 'base64');
  if (!root || root.toString('base64') !== match[1])
    throw new InvalidCheckpointError('A checkpoint ends with one `heads` line.');
  return root;
}

import { createHash } from 'node:crypto';
import { InvalidHashError } from '../errors/invalid-hash.error';
import { InvalidHeadMapProofError } from '../errors/invalid-head-map-proof.error';
import { canonicalJson } from './canonical-json';
import { merkleNodeHash } from './merkle';
import { AuditInvariantError } from '../errors/audit-invariant.error';

// Entity heads map: a compressed binary Merkle trie from a 32-byte key to an entity's latest chain
// position. Each signed checkpoint commits to its root, so a reader proves an entity's head in
// O(depth) hashes. The root is a pure function of the set of (key, value) pairs:
//
//   key(type, id)        = SHA-256(JCS([type, id]))                  RFC 8785 JSON array of 2 strings
//   bit i of a key       = (key[i >> 3] >> (7 - i % 8)) & 1          most significant bit of byte 0 first
//   leaf(k, seq, head)   = SHA-256(0x02 || k || uint64be(seq) || head)   seq in 0 .. 2^53 - 1
//   node(l, r)           = SHA-256(0x01 || l || r)
//   EMPTY                = 32 zero bytes
//   H(p), p a bit string = EMPTY              if no key starts with p
//                          leaf(k, seq, head) if k is the only key starting with p
//                          node(H(p0), H(p1)) otherwise (bit 0 is the left child)
//   root                 = H(''); the empty map's root is EMPTY.
//
// A proof for key k is (siblings, terminal): terminal is the entry at the end of k's path, at depth
// d = siblings.length, or null when H(k[0..d)) is EMPTY; siblings[i] = H(k[0..i) + (1 - k[i])).
// The terminal's key is k (inclusion) or another key starting with k[0..d) (non-inclusion).

/** The value the map holds for an entity: the sequence number and hash of its chain's latest event. */
export interface HeadValue {
  chainSeq: number;
  headHash: Buffer;
}

/** An entry of the map: `key` (see {@link entityKey}) and its new value. */
export interface HeadUpdate extends HeadValue {
  key: Buffer;
}

/**
 * A stored node, keyed by `prefix` ('0'/'1' characters, its depth is the length). Only non-empty
 * nodes are stored: internal nodes (two keys or more below, `leaf` null) and compressed leaves.
 */
export interface HeadMapNode {
  prefix: string;
  hash: Buffer;
  leaf: HeadUpdate | null;
}

/** Proof of an entity's head, or of its absence, against a map root. */
export interface HeadMapProof {
  /** Sibling hashes from depth 0 down to the terminal's depth - 1. */
  siblings: Buffer[];
  /** The leaf ending the key's path (another key's: non-inclusion), null if the path ends empty. */
  terminal: HeadUpdate | null;
}

const HASH_SIZE = 32;
/** A key's bits: no path in the map is deeper. */
export const MAX_DEPTH = HASH_SIZE * 8;
const EMPTY = Buffer.alloc(HASH_SIZE);
const LEAF_PREFIX = Buffer.from([0x02]);

const isDigest = (h: unknown): h is Buffer => Buffer.isBuffer(h) && h.length === HASH_SIZE;

/** What makes an entry unhashable, or null when it is well-formed. */
function entryProblem(e: HeadUpdate): string | null {
  if (!isDigest(e.key)) return 'the key must be a 32-byte digest';
  if (!isDigest(e.headHash)) return 'the head hash must be a 32-byte digest';
  if (!Number.isSafeInteger(e.chainSeq) || e.chainSeq < 0) {
    return `chainSeq must be a safe non-negative integer (got ${String(e.chainSeq)})`;
  }
  return null;
}

/** The key's 256 bits as '0'/'1' characters: the prefix at depth d is the first d of them. */
export function keyBits(key: Buffer): string {
  if (!isDigest(key)) throw new InvalidHashError('A head map key must be a 32-byte digest (see entityKey).');
  return Array.from(key, (b) => b.toString(2).padStart(8, '0')).join('');
}

const flip = (bit: string) => (bit === '0' ? '1' : '0');

/** Bit `i` of a key, the most significant bit of byte 0 first. */
const bitAt = (key: Buffer, i: number) => (key[i >> 3] >> (7 - (i % 8))) & 1;

function assertEntries(entries: HeadUpdate[]): void {
  for (const e of entries) {
    const problem = entryProblem(e);
    if (problem !== null) throw new InvalidHashError(`Invalid head map entry: ${problem}.`);
  }
}

/** Map key of an entity: SHA-256 of the RFC 8785 JSON array `[entityType, entityId]`. */
export function entityKey(entityType: string, entityId: string): Buffer {
  return createHash('sha256')
    .update(canonicalJson([entityType, entityId]))
    .digest();
}

/** Leaf hash: SHA-256(0x02 || key || uint64be(chainSeq) || headHash). */
export function headLeafHash(key: Buffer, chainSeq: number, headHash: Buffer): Buffer {
  assertEntries([{ key, chainSeq, headHash }]);
  const seq = Buffer.alloc(8);
  seq.writeBigUInt64BE(BigInt(chainSeq));
  return createHash('sha256').update(LEAF_PREFIX).update(key).update(seq).update(headHash).digest();
}

const leafHashOf = (e: HeadUpdate) => headLeafHash(e.key, e.chainSeq, e.headHash);

/** Hash of the child of a loaded internal node; fails loudly when the view was cut off there. */
function childHash(nodes: ReadonlyMap<string, HeadMapNode>, parent: string, bit: string): Buffer {
  // NOTE: an internal node has a non-empty child, so two missing children mean the caller did not
  // load the whole path and its siblings (storage/head-map.store); reading them as EMPTY would silently corrupt the map.
  if (!nodes.has(`${parent}0`) && !nodes.has(`${parent}1`)) {
    throw new AuditInvariantError(
      `Head map node '${parent}' is internal but no child was loaded: load whole paths.`,
    );
  }
  return nodes.get(parent + bit)?.hash ?? EMPTY;
}

function split(entries: HeadUpdate[], depth: number): [HeadUpdate[], HeadUpdate[]] {
  return [entries.filter((e) => bitAt(e.key, depth) === 0), entries.filter((e) => bitAt(e.key, depth) === 1)];
}

/** Hash of the subtree at `prefix` holding exactly `entries`, every node of it pushed to `written`. */
function build(prefix: string, entries: HeadUpdate[], written: HeadMapNode[]): Buffer {
  if (entries.length === 0) return EMPTY;
  if (entries.length === 1) {
    const { key, chainSeq, headHash } = entries[0];
    const leaf = { key, chainSeq, headHash };
    const hash = leafHashOf(leaf);
    written.push({ prefix, hash, leaf });
    return hash;
  }
  const [zeros, ones] = split(entries, prefix.length);
  const hash = merkleNodeHash(build(`${prefix}0`, zeros, written), build(`${prefix}1`, ones, written));
  written.push({ prefix, hash, leaf: null });
  return hash;
}

/** New hash of the subtree at `prefix` after setting `entries` (non-empty, all below `prefix`). */
function update(
  nodes: ReadonlyMap<string, HeadMapNode>,
  prefix: string,
  entries: HeadUpdate[],
  written: HeadMapNode[],
): Buffer {
  const node = nodes.get(prefix);
  if (node === undefined) return build(prefix, entries, written);
  const { leaf } = node;
  if (leaf === null) {
    const side = (bit: string, below: HeadUpdate[]) =>
      below.length > 0 ? update(nodes, prefix + bit, below, written) : childHash(nodes, prefix, bit);
    const [zeros, ones] = split(entries, prefix.length);
    const hash = merkleNodeHash(side('0', zeros), side('1', ones));
    written.push({ prefix, hash, leaf: null });
    return hash;
  }
  // NOTE: a compressed leaf is the whole subtree: rebuild it with the stored entry kept unless
  // replaced. Its prefix becomes an internal node when a new key lands beside it.
  const kept = entries.some((e) => e.key.equals(leaf.key)) ? [] : [leaf];
  return build(prefix, [...entries, ...kept], written);
}

/**
 * Applies `updates` (inserts or replacements; the last of one key wins) to the map whose stored
 * nodes on the updated keys' paths and their siblings are in `nodes` (storage/head-map.store).
 * Returns the new root and the nodes to upsert. Nothing is ever deleted: keys are never removed,
 * so the key count below every prefix only grows, and a stored prefix (non-empty, with a parent
 * holding two keys or more) stays stored; a leaf pushed down leaves an internal node at its prefix.
 * Neither `nodes` nor the updates are modified.
 */
export function applyHeadUpdates(
  nodes: ReadonlyMap<string, HeadMapNode>,
  updates: HeadUpdate[],
): { root: Buffer; written: HeadMapNode[] } {
  assertEntries(updates);
  const latest = new Map(updates.map((u) => [u.key.toString('hex'), u]));
  const written: HeadMapNode[] = [];
  if (latest.size === 0) return { root: nodes.get('')?.hash ?? EMPTY, written };
  return { root: update(nodes, '', [...latest.values()], written), written };
}

/** Proof for `key` from the loaded nodes of its path and their siblings (storage/head-map.store). */
export function headMapProof(nodes: ReadonlyMap<string, HeadMapNode>, key: Buffer): HeadMapProof {
  const bits = keyBits(key);
  const siblings: Buffer[] = [];
  for (let depth = 0; ; depth++) {
    const node = nodes.get(bits.slice(0, depth));
    if (node === undefined) return { siblings, terminal: null };
    if (node.leaf !== null) return { siblings, terminal: { ...node.leaf } };
    siblings.push(childHash(nodes, node.prefix, flip(bits[depth])));
  }
}

const invalid = (why: string) =>
  new InvalidHeadMapProofError(`Head map proof rejected: ${why}. Do not trust the entity head it claims.`);

/**
 * Checks `proof` against `root`: the key's value on inclusion, null on a valid non-inclusion proof;
 * throws InvalidHeadMapProofError when the proof is malformed or does not lead to `root`. Against
 * a canonical root only the prover's proof hashes to it (domain-separated, fixed-length hashing);
 * the path and last-sibling checks also refuse shapes no canonical tree has, should a signer lie.
 */
export function verifyHeadMapProof(root: Buffer, key: Buffer, proof: HeadMapProof): HeadValue | null {
  if (!isDigest(root) || !isDigest(key)) throw invalid('the root and key must be 32-byte digests');
  const { siblings, terminal } = proof;
  if (!Array.isArray(siblings) || siblings.length > MAX_DEPTH || !siblings.every(isDigest)) {
    throw invalid('siblings must be at most 256 digests of 32 bytes');
  }
  const depth = siblings.length;
  const bits = keyBits(key);
  if (terminal !== null) {
    const problem = entryProblem(terminal);
    if (problem !== null) throw invalid(`in its terminal leaf, ${problem}`);
    if (keyBits(terminal.key).slice(0, depth) !== bits.slice(0, depth)) {
      throw invalid("its terminal leaf is not on the key's path");
    }
  }
  // NOTE: the path ends (leaf or empty) below an internal node, which holds two keys or more; had
  // the other side no key, that node would be a leaf itself. So the last sibling is never EMPTY.
  if (depth > 0 && siblings[depth - 1].equals(EMPTY)) throw invalid('its last sibling is empty');
  let hash = terminal === null ? EMPTY : leafHashOf(terminal);
  for (let d = depth - 1; d >= 0; d--) {
    hash = bitAt(key, d) === 0 ? merkleNodeHash(hash, siblings[d]) : merkleNodeHash(siblings[d], hash);
  }
  if (!hash.equals(root)) throw invalid('it does not lead to the signed root');
  return terminal?.key.equals(key) ? { chainSeq: terminal.chainSeq, headHash: terminal.headHash } : null;
}

function subtreeHash(sorted: HeadUpdate[], depth: number): Buffer {
  if (sorted.length === 0) return EMPTY;
  if (sorted.length === 1) return leafHashOf(sorted[0]);
  const firstOne = sorted.findIndex((e) => bitAt(e.key, depth) === 1);
  const [zeros, ones] = firstOne === -1 ? [sorted, []] : [sorted.slice(0, firstOne), sorted.slice(firstOne)];
  return merkleNodeHash(subtreeHash(zeros, depth + 1), subtreeHash(ones, depth + 1));
}

/**
 * Root of the map holding `entries` (the last of one key wins), straight from the definition over
 * the keys in byte order: the reference the incremental update is tested against, and what a full
 * verifier recomputes from every entity's head.
 */
export function headMapRoot(entries: HeadUpdate[]): Buffer {
  assertEntries(entries);
  const byKey = new Map(entries.map((e) => [e.key.toString('hex'), e]));
  const sorted = [...byKey.values()].sort((a, b) => Buffer.compare(a.key, b.key));
  return subtreeHash(sorted, 0);
}

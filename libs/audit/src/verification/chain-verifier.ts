import {
  eventHash,
  eventHashHex,
  EVENT_HASH_ALG_V1,
  EVENT_HASH_ALGS,
  GENESIS_HASH,
  hasUnhashedV1Members,
} from '../crypto/event-hash';
import { entityKey } from '../crypto/head-map';
import type { AuditEvent, SealedAuditEvent } from '../events/audit-event';
import type { ChainFailure, ChainVerification } from './chain-verification';

/** Where a chain stands: the last position checked and its hash. */
export interface ChainPosition {
  chainSeq: number;
  hash: Buffer;
}

export type LinkFailure = (
  chainSeq: number,
  eventId: string | null,
  reason: ChainFailure['reason'],
  detail: string,
) => void;

/**
 * An entity's key in a verifier's map of chain positions: cheaper than its heads-map key (a
 * SHA-256), which only batch ends and the heads root need; unambiguous for any type and id.
 */
export const chainKey = (entityType: string, entityId: string) => JSON.stringify([entityType, entityId]);

/** The heads-map key of a `chainKey`. */
export function entityOfChainKey(key: string): Buffer {
  const [entityType, entityId] = JSON.parse(key) as [string, string];
  return entityKey(entityType, entityId);
}

/** A link as a mapped event holds it: its hashes as lowercase hex. */
export type HexLink = Pick<SealedAuditEvent, 'chainSeq' | 'hashAlg' | 'prevHash' | 'hash'>;

/** A stored event's place in its chain, its hashes as bytes. */
export interface StoredLink {
  id: string;
  chainSeq: number;
  hashAlg: string;
  prevHash: Buffer;
  hash: Buffer;
}

/**
 * Checks one event against the position before it: the next chain_seq, the link to the previous
 * hash, a known algorithm and its own hash. Returns the event's position (its recorded hash, so
 * one bad event is reported once, not again at every later link).
 */
export function checkLink(
  event: Pick<SealedAuditEvent, 'id' | 'chainSeq' | 'prevHash' | 'hashAlg' | 'hash'> & AuditEvent,
  prev: ChainPosition,
  fail: LinkFailure,
): ChainPosition {
  const link = storedLink(event);
  return checkStoredLink(link, hashVerdict(event, link), prev, fail);
}

// NOTE: an event read from an untrusted file may lack its link members or hold other types: a
// missing hash reads as empty, which matches nothing, so the event fails instead of the verifier.
const hexBytes = (value: unknown) => Buffer.from(typeof value === 'string' ? value : '', 'hex');

const storedLink = (event: Pick<SealedAuditEvent, 'id' | 'chainSeq' | 'prevHash' | 'hashAlg' | 'hash'>) => ({
  id: event.id,
  chainSeq: event.chainSeq,
  hashAlg: event.hashAlg,
  prevHash: hexBytes(event.prevHash),
  hash: hexBytes(event.hash),
});

/**
 * What an event's recorded fields say of its recorded hash, apart from the link checks so that it
 * can be computed in another thread (./event-hash.pool.ts): the event's own bytes are all it needs.
 */
export const HashVerdict = {
  MATCH: 0,
  UNKNOWN_ALGORITHM: 1,
  /** An `audit/v1` event holding a member only `audit/v1.1` hashes. */
  UNHASHED_MEMBERS: 2,
  MISMATCH: 3,
} as const;
export type HashVerdict = (typeof HashVerdict)[keyof typeof HashVerdict];

/**
 * Whether the fields hash to the recorded hash. Fields that cannot be put in their hashed form at
 * all (a date that is not one, a member of the wrong type: what tampering or a corrupt file
 * produces) cannot match it either: a verdict, never an exception out of the verifier.
 */
export function hashVerdict(
  fields: AuditEvent,
  /** The event's link; its hashes as bytes, or both as lowercase hex (a reader's mapped event). */
  link: Pick<StoredLink, 'chainSeq' | 'hashAlg' | 'prevHash' | 'hash'> | HexLink,
): HashVerdict {
  if (!EVENT_HASH_ALGS.includes(link.hashAlg)) return HashVerdict.UNKNOWN_ALGORITHM;
  try {
    // NOTE: v1 does not hash these members; a v1 event holding one could have had it changed at will.
    if (link.hashAlg === EVENT_HASH_ALG_V1 && hasUnhashedV1Members(fields))
      return HashVerdict.UNHASHED_MEMBERS;
    const matches =
      typeof link.hash === 'string'
        ? eventHashHex(fields, link.chainSeq, link.prevHash, link.hashAlg) === link.hash
        : eventHash(fields, link.chainSeq, link.prevHash, link.hashAlg).equals(link.hash);
    return matches ? HashVerdict.MATCH : HashVerdict.MISMATCH;
  } catch {
    return HashVerdict.MISMATCH;
  }
}

/** A link as a reader's mapped event holds it (its hashes as the hex text the read selected). */
export type HexStoredLink = HexLink & Pick<SealedAuditEvent, 'id'>;

/** A hash as bytes, or as the lowercase hex a read selected. */
type LinkHash = Buffer | string;

// NOTE: two hex texts (a trail's links) compare as text, with no decoding of either; only a
// position given as bytes (genesis, an archive cut) meets a hex link decoded.
const sameHash = (a: LinkHash, b: LinkHash) =>
  typeof a === 'string' && typeof b === 'string' ? a === b : hashBytes(a).equals(hashBytes(b));
const hashBytes = (h: LinkHash) => (Buffer.isBuffer(h) ? h : hexBytes(h));

/** `checkLink` over a stored row's link and the verdict on its hash, with no hex round trip. */
export function checkStoredLink<H extends LinkHash>(
  link: { id: string; chainSeq: number; hashAlg: string; prevHash: LinkHash; hash: H },
  verdict: HashVerdict,
  prev: { chainSeq: number; hash: LinkHash },
  fail: LinkFailure,
): { chainSeq: number; hash: H } {
  if (link.chainSeq !== prev.chainSeq + 1) {
    fail(
      link.chainSeq,
      link.id,
      'SEQUENCE_GAP',
      `expected chain_seq ${prev.chainSeq + 1}, found ${link.chainSeq}`,
    );
  }
  if (!sameHash(link.prevHash, prev.hash)) {
    fail(link.chainSeq, link.id, 'BROKEN_LINK', 'prev_hash is not the hash of the previous event');
  }
  if (verdict === HashVerdict.UNKNOWN_ALGORITHM) {
    fail(
      link.chainSeq,
      link.id,
      'UNKNOWN_HASH_ALGORITHM',
      `hash algorithm "${link.hashAlg}" is not one of ${EVENT_HASH_ALGS.join(', ')}`,
    );
  } else if (verdict === HashVerdict.UNHASHED_MEMBERS) {
    fail(link.chainSeq, link.id, 'HASH_MISMATCH', 'an audit/v1 event holds members only audit/v1.1 hashes');
  } else if (verdict !== HashVerdict.MATCH) {
    fail(link.chainSeq, link.id, 'HASH_MISMATCH', 'the recorded fields do not match the event hash');
  }
  return { chainSeq: link.chainSeq, hash: link.hash };
}

/**
 * A position to keep until its entity's next event (verifiers of a whole log keep one per
 * entity), its hash copied out of Node's shared buffer pool: a 32-byte slice of the pool keeps
 * the pool's whole 8 KB slab alive, and offline verification grew by up to 8 KB per entity.
 */
export function kept(position: ChainPosition): ChainPosition {
  const hash = Buffer.allocUnsafeSlow(position.hash.length);
  position.hash.copy(hash);
  return { chainSeq: position.chainSeq, hash };
}

/** The recorded head of an entity's chain (`audit.chain_heads`). */
export interface ChainHead {
  lastSeq: number;
  lastHash: Buffer | null;
}

/**
 * Recomputes an entity's chain: positions 1..n without gaps, each event's hash over its recorded
 * fields, each link to the previous hash, and the end against the recorded head. O(n) hashes, no
 * I/O. Catches edits, deletions, swaps, insertions and moves between entities; a rewrite of the
 * whole chain with recomputed hashes, or a truncation that also rolls the head back, needs the
 * signed checkpoints (docs/integrity.md).
 */
export function verifyChain(
  events: SealedAuditEvent[],
  head: ChainHead | null,
  /** Where the chain stood before `events`: genesis, or its head at an archive cut. */
  start: ChainPosition = { chainSeq: 0, hash: GENESIS_HASH },
): ChainVerification {
  const check = new ChainCheck(start);
  for (const event of events) {
    const link = storedLink(event);
    check.add(link, hashVerdict(event, link));
  }
  return check.end(head);
}

/**
 * `verifyChain` one event at a time, over stored links and their recorded fields (no hex round
 * trip), so that a reader can check a long chain page by page while the next page is read.
 */
export class ChainCheck {
  private readonly failures: ChainFailure[] = [];
  private readonly fail: LinkFailure = (chainSeq, eventId, reason, detail) =>
    this.failures.push({ chainSeq, eventId, reason, detail });
  private checked = 0;
  private firstId: string | null = null;

  /** `prev`: where the chain stood before the first event: genesis, or its head at an archive cut. */
  constructor(private prev: { chainSeq: number; hash: LinkHash } = { chainSeq: 0, hash: GENESIS_HASH }) {}

  /** The next link: a stored row's (hashes as bytes), or a mapped event itself (hashes as hex). */
  add(link: StoredLink | HexStoredLink, verdict: HashVerdict): void {
    this.firstId ??= link.id;
    this.checked++;
    this.prev = checkStoredLink<LinkHash>(link, verdict, this.prev, this.fail);
  }

  /** The report, once every event was added: the chain's end checked against the recorded head. */
  end(head: ChainHead | null): ChainVerification {
    const { prev, fail, failures } = this;
    const lastSeq = prev.chainSeq;
    if (!head) {
      if (lastSeq > 0) fail(1, this.firstId, 'MISSING_HEAD', 'the entity has events but no chain head');
    } else if (
      head.lastSeq !== lastSeq ||
      (lastSeq > 0 && (!head.lastHash || !sameHash(head.lastHash, prev.hash)))
    ) {
      fail(
        Math.min(head.lastSeq, lastSeq) + 1,
        null,
        'HEAD_MISMATCH',
        `the chain head records ${head.lastSeq} events, the chain ends at ${lastSeq}: events were removed or added`,
      );
    }
    failures.sort((a, b) => a.chainSeq - b.chainSeq);
    return {
      valid: failures.length === 0,
      checkedEvents: this.checked,
      headSeq: head?.lastSeq ?? 0,
      failures,
    };
  }
}

import { eventHash, EVENT_HASH_ALG, GENESIS_HASH } from '../crypto/event-hash';
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
  const { id, chainSeq, hashAlg } = event;
  const link = {
    id,
    chainSeq,
    hashAlg,
    prevHash: Buffer.from(event.prevHash, 'hex'),
    hash: Buffer.from(event.hash, 'hex'),
  };
  return checkStoredLink(link, event, prev, fail);
}

/** `checkLink` over a stored row's link and its recorded fields, with no hex round trip. */
export function checkStoredLink(
  link: StoredLink,
  fields: AuditEvent,
  prev: ChainPosition,
  fail: LinkFailure,
): ChainPosition {
  if (link.chainSeq !== prev.chainSeq + 1) {
    fail(
      link.chainSeq,
      link.id,
      'SEQUENCE_GAP',
      `expected chain_seq ${prev.chainSeq + 1}, found ${link.chainSeq}`,
    );
  }
  if (!link.prevHash.equals(prev.hash)) {
    fail(link.chainSeq, link.id, 'BROKEN_LINK', 'prev_hash is not the hash of the previous event');
  }
  if (link.hashAlg !== EVENT_HASH_ALG) {
    fail(
      link.chainSeq,
      link.id,
      'UNKNOWN_HASH_ALGORITHM',
      `hash algorithm "${link.hashAlg}" is not ${EVENT_HASH_ALG}`,
    );
  } else if (!eventHash(fields, link.chainSeq, link.prevHash).equals(link.hash)) {
    fail(link.chainSeq, link.id, 'HASH_MISMATCH', 'the recorded fields do not match the event hash');
  }
  // NOTE: a copy outside Node's shared buffer pool. A position lives until its entity's next event,
  // and a 32-byte slice of the pool keeps the pool's whole 8 KB slab alive: verifiers holding one
  // position per entity grew by up to 8 KB per entity.
  const hash = Buffer.allocUnsafeSlow(link.hash.length);
  link.hash.copy(hash);
  return { chainSeq: link.chainSeq, hash };
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
  const failures: ChainFailure[] = [];
  const fail: LinkFailure = (chainSeq, eventId, reason, detail) =>
    failures.push({ chainSeq, eventId, reason, detail });
  let prev = start;
  for (const event of events) prev = checkLink(event, prev, fail);

  const lastSeq = prev.chainSeq;
  if (!head) {
    if (lastSeq > 0)
      fail(1, events[0]?.id ?? null, 'MISSING_HEAD', 'the entity has events but no chain head');
  } else if (head.lastSeq !== lastSeq || (lastSeq > 0 && !head.lastHash?.equals(prev.hash))) {
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
    checkedEvents: events.length,
    headSeq: head?.lastSeq ?? 0,
    failures,
  };
}

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
  if (event.chainSeq !== prev.chainSeq + 1) {
    fail(
      event.chainSeq,
      event.id,
      'SEQUENCE_GAP',
      `expected chain_seq ${prev.chainSeq + 1}, found ${event.chainSeq}`,
    );
  }
  const prevHash = Buffer.from(event.prevHash, 'hex');
  if (!prevHash.equals(prev.hash)) {
    fail(event.chainSeq, event.id, 'BROKEN_LINK', 'prev_hash is not the hash of the previous event');
  }
  if (event.hashAlg !== EVENT_HASH_ALG) {
    fail(
      event.chainSeq,
      event.id,
      'UNKNOWN_HASH_ALGORITHM',
      `hash algorithm "${event.hashAlg}" is not ${EVENT_HASH_ALG}`,
    );
  } else if (!eventHash(event, event.chainSeq, prevHash).equals(Buffer.from(event.hash, 'hex'))) {
    fail(event.chainSeq, event.id, 'HASH_MISMATCH', 'the recorded fields do not match the event hash');
  }
  return { chainSeq: event.chainSeq, hash: Buffer.from(event.hash, 'hex') };
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

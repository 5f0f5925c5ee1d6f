import { eventHash, EVENT_HASH_ALG, GENESIS_HASH } from '../crypto/event-hash';
import type { SealedAuditEvent } from '../events/audit-event';
import type { ChainFailure, ChainVerification } from './chain-verification';

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
export function verifyChain(events: SealedAuditEvent[], head: ChainHead | null): ChainVerification {
  const failures: ChainFailure[] = [];
  const fail = (chainSeq: number, eventId: string | null, reason: ChainFailure['reason'], detail: string) =>
    failures.push({ chainSeq, eventId, reason, detail });

  let expectedSeq = 1;
  let prev = GENESIS_HASH;
  for (const event of events) {
    if (event.chainSeq !== expectedSeq) {
      fail(
        event.chainSeq,
        event.id,
        'SEQUENCE_GAP',
        `expected chain_seq ${expectedSeq}, found ${event.chainSeq}`,
      );
    }
    const prevHash = Buffer.from(event.prevHash, 'hex');
    if (!prevHash.equals(prev)) {
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
    prev = Buffer.from(event.hash, 'hex');
    expectedSeq = event.chainSeq + 1;
  }

  const lastSeq = events.length ? events[events.length - 1].chainSeq : 0;
  if (!head) {
    if (events.length) fail(1, events[0].id, 'MISSING_HEAD', 'the entity has events but no chain head');
  } else if (head.lastSeq !== lastSeq || (lastSeq > 0 && !head.lastHash?.equals(prev))) {
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

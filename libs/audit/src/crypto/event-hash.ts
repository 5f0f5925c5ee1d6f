import { hash } from 'node:crypto';
import type { AuditEvent } from '../events/audit-event';
import { normalizeEvent } from '../events/normalize-event';
import { canonicalJsonText } from './canonical-json';

/** Name and version of the event hash; stored with every event so a downgrade is visible. */
export const EVENT_HASH_ALG = 'audit/v1';

/** `prev_hash` of the first event of every chain. */
export const GENESIS_HASH = Buffer.alloc(32);

const DOMAIN = `${EVENT_HASH_ALG}\0`;

/**
 * The hashed form of an event: its normalised recorded fields (an explicit list, so nothing is
 * added silently), its place in its entity's chain and the previous event's hash (hex). Entity
 * and tenant are inside, so an event moved to another record no longer matches its hash.
 */
export function hashedEventFields(
  event: AuditEvent,
  chainSeq: number,
  prevHash: Buffer,
): AuditEvent & { chainSeq: number; prevHash: string } {
  // NOTE: normalizeEvent returns a new object; extending it in place spares a copy per event.
  return Object.assign(normalizeEvent(event), { chainSeq, prevHash: prevHash.toString('hex') });
}

/** SHA-256("audit/v1\0" || JCS(hashed fields)): the event's link in its entity chain. */
export function eventHash(event: AuditEvent, chainSeq: number, prevHash: Buffer): Buffer {
  // One-shot hash of the UTF-8 text: no Hash object, no intermediate buffer (verification hashes every event).
  return hash('sha256', DOMAIN + canonicalJsonText(hashedEventFields(event, chainSeq, prevHash)), 'buffer');
}

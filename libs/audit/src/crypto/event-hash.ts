import { createHash } from 'node:crypto';
import type { AuditEvent } from '../events/audit-event';
import { normalizeEvent } from '../events/normalize-event';
import { canonicalJson } from './canonical-json';

/** Name and version of the event hash; stored with every event so a downgrade is visible. */
export const EVENT_HASH_ALG = 'audit/v1';

/** `prev_hash` of the first event of every chain. */
export const GENESIS_HASH = Buffer.alloc(32);

const DOMAIN = Buffer.from(`${EVENT_HASH_ALG}\0`, 'utf8');

/**
 * The hashed form of an event: its normalised recorded fields (an explicit list, so nothing is
 * added silently), its place in its entity's chain and the previous event's hash (hex). Entity
 * and tenant are inside, so an event moved to another record no longer matches its hash.
 */
export function hashedEventFields(
  event: AuditEvent,
  chainSeq: number,
  prevHash: Buffer,
): Record<string, unknown> {
  return { ...normalizeEvent(event), chainSeq, prevHash: prevHash.toString('hex') };
}

/** SHA-256("audit/v1\0" || JCS(hashed fields)): the event's link in its entity chain. */
export function eventHash(event: AuditEvent, chainSeq: number, prevHash: Buffer): Buffer {
  return createHash('sha256')
    .update(DOMAIN)
    .update(canonicalJson(hashedEventFields(event, chainSeq, prevHash)))
    .digest();
}

import { applyPatch, type Operation } from 'fast-json-patch';
import type { JsonObject, SealedAuditEvent } from '../events/audit-event';
import { DRIFT_DETECTED } from '../events/audit-event.factory';

/**
 * A record's state after the leading events of its verified trail that `include` accepts (chain
 * order; the first it refuses ends the replay): each event's patch applied in turn. When the
 * chain's start was archived, the first live event's `before` is the state it found.
 */
export function replayState(
  events: readonly SealedAuditEvent[],
  include: (event: SealedAuditEvent) => boolean = () => true,
): JsonObject | null {
  const first = events[0];
  let state: JsonObject | null = first && first.chainSeq > 1 ? first.before : null;
  for (const event of events) {
    if (!include(event)) break;
    if (event.before === null && event.after === null) continue; // a domain event: no state
    state =
      event.after === null && event.action !== DRIFT_DETECTED
        ? null
        : applyPatch(structuredClone(state ?? {}), event.patch as Operation[], false, true).newDocument;
  }
  return state;
}

/**
 * Whether the point `include` marks lies before the live part of a trail whose start was archived
 * (all of it, when no event is live): its state is then only in the archive segment.
 */
export function liesInArchive(
  events: readonly SealedAuditEvent[],
  archivedThrough: number | undefined,
  include: (event: SealedAuditEvent) => boolean,
): boolean {
  const first = events[0];
  return first ? first.chainSeq > 1 && !include(first) : archivedThrough !== undefined;
}

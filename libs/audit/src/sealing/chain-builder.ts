import type { CapturedChange } from '../capture/captured-row';
import { driftedFields, type ComparableValue } from '../capture/drift';
import { eventHash, GENESIS_HASH } from '../crypto/event-hash';
import type { AuditEvent, JsonObject } from '../events/audit-event';
import { normalizeEvent } from '../events/normalize-event';
import type { ChainHeadUpdate } from '../storage/sealing.store';
import type { ChainLink } from './log-append';

/** An event to chain, or a captured change that becomes one once its record's previous state is known. */
export type SealItem = AuditEvent | CapturedChange;

/** The DRIFT_DETECTED event for `event`, whose `before` differs from `expected` in `fields`. */
export type DriftEventOf = (event: AuditEvent, expected: JsonObject, fields: string[]) => AuditEvent;

/** One entity's normalised events to chain on its head, with the latest stored `after`. */
export interface EntityToChain {
  events: AuditEvent[];
  lastSeq: number;
  lastHash: Buffer | null;
  /** The latest `after` of the entity's sealed events with snapshots; null when there is none. */
  previousAfter: JsonObject | null;
}

/**
 * An entity's items as events, in order: each captured change is given the record's state so far
 * (undefined when unknown), which a relation change needs; a change that yields nothing is dropped.
 * `captured` lists the events made from captured changes (their personal values still in clear).
 */
export function eventsOf(
  items: SealItem[],
  previousAfter: JsonObject | null | undefined,
): { events: AuditEvent[]; captured: AuditEvent[] } {
  const captured: AuditEvent[] = [];
  let state = previousAfter;
  const events = items.flatMap((item) => {
    if (typeof item !== 'function') return [item];
    const event = item(state);
    if (!event) return [];
    captured.push(event);
    if (event.before || event.after) state = event.after;
    return [event];
  });
  return { events, captured };
}

/** The events to seal, each drifted one preceded by its DRIFT_DETECTED event. */
export function withDrift(
  events: AuditEvent[],
  previousAfter: JsonObject | null,
  comparable: ComparableValue | undefined,
  driftEventOf: DriftEventOf,
): AuditEvent[] {
  const out: AuditEvent[] = [];
  let expected = previousAfter;
  for (const event of events) {
    const fields = driftedFields(expected, event.before, comparable);
    if (fields.length > 0) {
      out.push(normalizeEvent({ ...driftEventOf(event, expected!, fields), origin: 'ASSERTED' }));
    }
    out.push(event);
    // Domain events (no snapshots) say nothing about the record's state.
    if (event.before || event.after) expected = event.after;
  }
  return out;
}

/** `events` linked after the chain head (`lastSeq`, `lastHash`; none: the genesis hash). */
export function chainLinks(events: AuditEvent[], lastSeq: number, lastHash: Buffer | null): ChainLink[] {
  let seq = lastSeq;
  let prev = lastHash ?? GENESIS_HASH;
  return events.map((event) => {
    const hash = eventHash(event, ++seq, prev);
    const link = { event, chainSeq: seq, prevHash: prev, hash };
    prev = hash;
    return link;
  });
}

/**
 * Each entity's links, drift events included. A record whose every change was dropped (relations of
 * a deleted record) has nothing to chain and no group.
 */
export function chainEntities(
  entities: EntityToChain[],
  comparable: ComparableValue | undefined,
  driftEventOf: DriftEventOf,
): ChainLink[][] {
  return entities
    .map((e) =>
      chainLinks(withDrift(e.events, e.previousAfter, comparable, driftEventOf), e.lastSeq, e.lastHash),
    )
    .filter((group) => group.length > 0);
}

/** Each group's new chain head: its last link. */
export function chainHeadUpdates(groups: ChainLink[][]): ChainHeadUpdate[] {
  return groups.map((g) => {
    const { event, chainSeq, hash } = g[g.length - 1];
    return { entityType: event.entityType, entityId: event.entityId, lastSeq: chainSeq, lastHash: hash };
  });
}

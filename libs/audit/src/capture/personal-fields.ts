import { MASKED_VALUE } from '../audit.constants';
import { isPersonalDataEnvelope, type PersonalDataEnvelope } from '../crypto/personal-data-envelope';
import { AuditableMisconfiguredError } from '../errors/auditable-misconfigured.error';
import type { AuditEvent, FieldChange, JsonObject, JsonPatchOperation } from '../events/audit-event';
import { scalarText } from './scalar-text';

/** The personal fields of one entity type, as resolved from `personalData`. */
export interface PersonalDataPolicy {
  /** Top-level snapshot fields whose values are personal data. */
  fields: readonly string[];
  /** The snapshot field holding the subject id; null: the entity id. */
  subjectField: string | null;
}

/** Replaces one personal value: an envelope, or `[ERASED]` for a subject whose key is gone. */
export type SealValue = (subject: string, field: string, value: unknown) => unknown;
/** Reads one envelope found at `field`: its value, `[ERASED]`, or (sealer) an unknown marker. */
export type OpenValue = (envelope: PersonalDataEnvelope, field: string) => unknown;

/** The top-level field of a change's dotted path (declared personal fields hold no dot). */
export const changeTopField = (field: string): string => field.split('.')[0];

/** The top-level field a JSON Pointer targets (`/email` → `email`). */
export const pointerTopField = (path: string): string =>
  (path.split('/')[1] ?? '').replace(/~1/g, '/').replace(/~0/g, '~');

function subjectOf(event: AuditEvent, policy: PersonalDataPolicy, side: 'before' | 'after'): string {
  if (policy.subjectField === null) return event.entityId;
  const value = scalarText(event[side]?.[policy.subjectField]);
  if (value === null || value === '' || value === MASKED_VALUE) {
    throw new AuditableMisconfiguredError(
      `Personal data of ${event.entityType} ${event.entityId} has no subject: "${policy.subjectField}" is ` +
        `missing, empty or masked in its ${side} snapshot. Record that field (check only/ignore and masking) ` +
        'or drop subjectField to use the entity id.',
    );
  }
  return value;
}

/**
 * The event with every personal value replaced by `seal`'s result: top-level members of `before`
 * and `after`, both sides of changes whose path starts at a personal field, and the values of
 * patch operations targeting one. Null values stay null (they hold nothing personal). `before`
 * values belong to the subject of the `before` snapshot, the rest to that of `after`.
 */
export function protectEvent(event: AuditEvent, policy: PersonalDataPolicy, seal: SealValue): AuditEvent {
  const fields = new Set(policy.fields);
  const subjects: Partial<Record<'before' | 'after', string>> = {};
  const protect = (side: 'before' | 'after', field: string, value: unknown) => {
    if (value === null || value === undefined) return value ?? null;
    subjects[side] ??= subjectOf(event, policy, side);
    return seal(subjects[side], field, value);
  };
  const snapshot = (s: JsonObject | null, side: 'before' | 'after') =>
    s && Object.fromEntries(Object.entries(s).map(([k, v]) => [k, fields.has(k) ? protect(side, k, v) : v]));
  return {
    ...event,
    before: snapshot(event.before, 'before'),
    after: snapshot(event.after, 'after'),
    changes: event.changes.map((c): FieldChange => {
      const field = changeTopField(c.field);
      if (!fields.has(field)) return c;
      return {
        field: c.field,
        before: protect('before', field, c.before),
        after: protect('after', field, c.after),
      };
    }),
    patch: event.patch.map((op): JsonPatchOperation => {
      const field = pointerTopField(op.path);
      return 'value' in op && fields.has(field) ? { ...op, value: protect('after', field, op.value) } : op;
    }),
  };
}

/**
 * The event (and its attached drift changes, if any) with every envelope replaced by `open`'s
 * result, wherever `protectEvent` or the sealer's drift events put one. Needs no policy: a reader
 * opens what was sealed under an older configuration too.
 */
export function revealEvent<T extends AuditEvent & { drift?: FieldChange[] | null }>(
  event: T,
  open: OpenValue,
): T {
  const value = (field: string, v: unknown) => (isPersonalDataEnvelope(v) ? open(v, field) : v);
  const snapshot = (s: JsonObject | null) =>
    s && Object.fromEntries(Object.entries(s).map(([k, v]) => [k, value(k, v)]));
  const changes = (list: FieldChange[]) =>
    list.map((c) => {
      const field = changeTopField(c.field);
      return { field: c.field, before: value(field, c.before), after: value(field, c.after) };
    });
  return {
    ...event,
    before: snapshot(event.before),
    after: snapshot(event.after),
    changes: changes(event.changes),
    patch: event.patch.map((op) =>
      'value' in op ? { ...op, value: value(pointerTopField(op.path), op.value) } : op,
    ),
    ...(event.drift ? { drift: changes(event.drift) } : {}),
  };
}

/**
 * The subjects whose keys reading these events needs: the values `revealEvent` opens, looked at
 * in place (long trails hold no envelope, and a copy of every event only to find none cost more
 * than the rest of their revealing).
 */
export function envelopeSubjects(events: (AuditEvent & { drift?: FieldChange[] | null })[]): string[] {
  const subjects = new Set<string>();
  const visit = (value: unknown) => {
    if (isPersonalDataEnvelope(value)) subjects.add(value.subject);
  };
  // NOTE: loops over the members, no list built per event: every trail read walks every event.
  const visitMembers = (snapshot: JsonObject | null) => {
    if (snapshot) for (const key of Object.keys(snapshot)) visit(snapshot[key]);
  };
  const visitChanges = (changes: FieldChange[] | null | undefined) => {
    for (const change of changes ?? []) {
      visit(change.before);
      visit(change.after);
    }
  };
  for (const event of events) {
    visitMembers(event.before);
    visitMembers(event.after);
    visitChanges(event.changes);
    visitChanges(event.drift);
    for (const op of event.patch) if ('value' in op) visit(op.value);
  }
  return [...subjects];
}

import { applyPatch, type Operation } from 'fast-json-patch';
import { ERASED_VALUE, MASKED_VALUE } from '../audit.constants';
import { canonicalJsonText } from '../crypto/canonical-json';
import type { JsonObject, JsonPatchOperation, SealedAuditEvent } from '../events/audit-event';

/**
 * Planning a revert or a restore: pure, no I/O (docs/revert.md). Both are the same question:
 * which fields must change, from the record's current state, to reach a wanted state, and which
 * of them someone else changed since the ledger's point of reference (a conflict).
 */

/** What a conflicting field does under each policy: refuse all, leave it, or write it anyway. */
export type RevertConflictPolicy = 'ABORT' | 'SKIP_CONFLICTING' | 'OVERWRITE';

/** What applying the plan does to the row. */
export type RevertMode = 'UPDATE' | 'CREATE' | 'DELETE' | 'NONE';

/**
 * Why a field is left as it is: its value is not in the ledger (`MASKED`, `ERASED`), or the
 * application does not let a restore write it (`NOT_WRITABLE`: a key, a version, a timestamp the
 * database or the ORM manages, a field the app's restorer does not take).
 */
export type NotRestorableReason = 'MASKED' | 'ERASED' | 'NOT_WRITABLE';

export interface FieldPlan {
  field: string;
  /** The value now (null when absent or the record does not exist). */
  currentValue: unknown;
  /** The value the revert writes. */
  restoreValue: unknown;
  /** The value the plan expects the field to have now: after the reverted event, or at the trail's head. */
  expectedValue: unknown;
  /** True when the current value is not the expected one: someone changed it since. */
  conflict: boolean;
  /** The last sealed event after the target point that changed the field; null when none did. */
  lastChange: SealedAuditEvent | null;
}

export interface NotRestorableField {
  field: string;
  reason: NotRestorableReason;
}

/** What a revert or restore would do, before a conflict policy is chosen. */
export interface RevertPlan {
  mode: RevertMode;
  current: JsonObject | null;
  /** Every field whose value would change; `conflict` marks those changed since the reference. */
  fields: FieldPlan[];
  /** Fields the wanted state differs in but that are left as they are, and why. */
  notRestorable: NotRestorableField[];
}

/** The plan under one policy: what is written, what is left, and whether it is refused. */
export interface RevertDecision {
  mode: RevertMode;
  /** True when ABORT meets a conflict: nothing is written. */
  blocked: boolean;
  applied: FieldPlan[];
  skipped: FieldPlan[];
  /** RFC 6902 against the current state: what is written (all of the plan when blocked). */
  patch: JsonPatchOperation[];
  /** The state after the patch; null when the record is deleted. */
  result: JsonObject | null;
}

/** Which fields a restore may write; the rest are `NOT_WRITABLE`. */
export type WritableField = (field: string) => boolean;

const text = (value: unknown) => canonicalJsonText(value === undefined ? null : value);
const same = (a: unknown, b: unknown) => text(a) === text(b);
const pointer = (field: string) => `/${field.replace(/~/g, '~0').replace(/\//g, '~1')}`;

/** Whether a value (or any member of it) stands for one the ledger does not hold. */
function unknownValue(value: unknown): NotRestorableReason | null {
  if (value === MASKED_VALUE) return 'MASKED';
  if (value === ERASED_VALUE) return 'ERASED';
  if (value && typeof value === 'object') {
    for (const member of Object.values(value)) {
      const reason = unknownValue(member);
      if (reason) return reason;
    }
  }
  return null;
}

/** The events after the point of reference that changed `field`: the newest of them. */
function lastChangeOf(field: string, later: SealedAuditEvent[]): SealedAuditEvent | null {
  for (let i = later.length - 1; i >= 0; i--) {
    const event = later[i];
    if (event.before === null && event.after === null) continue; // a domain event: no state
    if (
      !same(event.before?.[field], event.after?.[field]) ||
      (event.before === null) !== (event.after === null)
    )
      return event;
  }
  return null;
}

/**
 * The plan that takes the record from `current` to `wanted` (null: the record should not exist).
 * `expected` is the state the ledger says the record has at the point of reference (after the
 * reverted event, or at the trail's head); a field whose current value differs from it was changed
 * since (`later` names who, when the ledger knows). `fields` limits an update to those fields (a
 * revert touches only what its event changed); a restore considers every field of `wanted`.
 */
export function planChange(input: {
  current: JsonObject | null;
  wanted: JsonObject | null;
  expected: JsonObject | null;
  later: SealedAuditEvent[];
  writable: WritableField;
  fields?: string[];
}): RevertPlan {
  const { current, wanted, expected, later, writable } = input;
  const fieldPlan = (field: string, restoreValue: unknown): FieldPlan => {
    const currentValue = current?.[field] ?? null;
    const expectedValue = expected?.[field] ?? null;
    return {
      field,
      currentValue,
      restoreValue: restoreValue ?? null,
      expectedValue,
      conflict: !same(currentValue, expectedValue) || (current === null) !== (expected === null),
      lastChange: lastChangeOf(field, later),
    };
  };
  if (wanted === null) {
    if (current === null) return { mode: 'NONE', current, fields: [], notRestorable: [] };
    // A delete discards every field: each one changed since is a conflict of the delete.
    const fields = Object.keys(current)
      .sort()
      .map((field) => fieldPlan(field, null));
    return { mode: 'DELETE', current, fields, notRestorable: [] };
  }
  const names = input.fields ?? Object.keys(wanted);
  const fields: FieldPlan[] = [];
  const notRestorable: NotRestorableField[] = [];
  for (const field of [...new Set(names)].sort()) {
    const value = wanted[field];
    if (current !== null && same(current[field], value)) continue;
    // A re-created record is rebuilt whole from the ledger (its key, tenant, timestamps): which of
    // them it takes is the restorer's call; an update writes only what the restorer allows.
    const reason = unknownValue(value) ?? (current === null || writable(field) ? null : 'NOT_WRITABLE');
    if (reason) {
      notRestorable.push({ field, reason });
      continue;
    }
    fields.push(fieldPlan(field, value));
  }
  const mode = current === null ? 'CREATE' : fields.length ? 'UPDATE' : 'NONE';
  return { mode, current, fields, notRestorable };
}

/** The plan under `policy`: the fields written and left, the patch and the resulting state. */
export function decide(plan: RevertPlan, policy: RevertConflictPolicy): RevertDecision {
  const conflicted = plan.fields.some((f) => f.conflict);
  if (policy === 'ABORT' && conflicted) {
    // Nothing is written; the patch shows what the plan would write once the conflicts are settled.
    const patch = patchOf(plan, plan.mode, plan.fields);
    return {
      mode: plan.mode,
      blocked: true,
      applied: [],
      skipped: plan.fields,
      patch,
      result: patched(plan, patch),
    };
  }
  // A whole-record change (delete, re-create) cannot leave a field out: a conflict skips all of it.
  const whole = plan.mode === 'DELETE' || plan.mode === 'CREATE';
  const applied =
    policy !== 'SKIP_CONFLICTING'
      ? plan.fields
      : whole && conflicted
        ? []
        : plan.fields.filter((f) => !f.conflict);
  const skipped = plan.fields.filter((f) => !applied.includes(f));
  const mode: RevertMode =
    (whole && skipped.length > 0) || (plan.mode === 'UPDATE' && applied.length === 0) ? 'NONE' : plan.mode;
  const patch = patchOf(plan, mode, applied);
  return {
    mode,
    blocked: false,
    applied: mode === 'NONE' ? [] : applied,
    skipped,
    patch,
    result: patched(plan, patch),
  };
}

function patched(plan: RevertPlan, patch: JsonPatchOperation[]): JsonObject | null {
  if (patch.length === 0) return plan.current;
  return applyPatch(structuredClone(plan.current), patch as Operation[], false, false).newDocument;
}

function patchOf(plan: RevertPlan, mode: RevertMode, fields: FieldPlan[]): JsonPatchOperation[] {
  if (mode === 'NONE') return [];
  if (mode === 'DELETE') return [{ op: 'replace', path: '', value: null }];
  if (mode === 'CREATE') {
    const state = Object.fromEntries(fields.map((f) => [f.field, f.restoreValue]));
    return [{ op: 'add', path: '', value: state }];
  }
  return fields.map((f) =>
    plan.current !== null && f.field in plan.current
      ? { op: 'replace', path: pointer(f.field), value: f.restoreValue }
      : { op: 'add', path: pointer(f.field), value: f.restoreValue },
  );
}

/** The fields one state-changing event changed (top-level properties), in name order. */
export function fieldsChangedBy(event: SealedAuditEvent): string[] {
  const keys = new Set([...Object.keys(event.before ?? {}), ...Object.keys(event.after ?? {})]);
  return [...keys].filter((k) => !same(event.before?.[k], event.after?.[k])).sort();
}

import { compare, type Operation } from 'fast-json-patch';
import { MASKED_VALUE } from '../audit.constants';
import { isPersonalDataEnvelope } from '../crypto/personal-data-envelope';
import type { FieldChange, JsonObject, JsonPatchOperation } from '../events/audit-event';
import type { FieldMasker } from './field-masker';

// NOTE: a personal-data envelope is a whole value, never diffed member by member (only the
// sealer's drift events diff snapshots that already hold envelopes).
const isPlainObject = (v: unknown): v is JsonObject =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !isPersonalDataEnvelope(v);

/** Deep equality of JSON values whose object keys are already sorted (see `toJsonValue`). */
const sameJson = (a: unknown, b: unknown) =>
  a === b ||
  (typeof a === 'object' &&
    typeof b === 'object' &&
    a !== null &&
    b !== null &&
    JSON.stringify(a) === JSON.stringify(b));

function collectChanges(
  before: unknown,
  after: unknown,
  path: string[],
  masker: FieldMasker,
  out: FieldChange[],
): void {
  if (sameJson(before, after)) return;
  if (path.length > 0 && masker.isMaskedPath(path)) {
    out.push({ field: path.join('.'), before: MASKED_VALUE, after: MASKED_VALUE });
    return;
  }
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const key of keys) collectChanges(before[key], after[key], [...path, key], masker, out);
    return;
  }
  if (path.length === 0) {
    // CREATE or DELETE: one change per field of the side that exists.
    const keys = Object.keys((isPlainObject(before) ? before : after) as JsonObject).sort();
    for (const key of keys) {
      collectChanges(
        isPlainObject(before) ? before[key] : null,
        isPlainObject(after) ? after[key] : null,
        [key],
        masker,
        out,
      );
    }
    return;
  }
  // NOTE: arrays and scalars are compared as whole values: an index-level diff of a list is noise for auditors.
  out.push({ field: path.join('.'), before: masker.mask(before ?? null), after: masker.mask(after ?? null) });
}

/** Field-level changes between two unmasked snapshots; masked fields say that they changed, never how. */
export function fieldChanges(
  before: JsonObject | null,
  after: JsonObject | null,
  masker: FieldMasker,
): FieldChange[] {
  const out: FieldChange[] = [];
  collectChanges(before, after, [], masker, out);
  return out;
}

const decodePointer = (pointer: string) =>
  pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));

/** RFC 6902 patch from `before` to `after` (computed on real values, then masked). */
export function jsonPatch(
  before: JsonObject | null,
  after: JsonObject | null,
  masker: FieldMasker,
): JsonPatchOperation[] {
  const split = splitEnvelopes(before ?? {}, after ?? {});
  const ops: Operation[] = [...compare(split.before, split.after), ...split.ops];
  return ops.map((op) => {
    const masked: JsonPatchOperation = { ...(op as JsonPatchOperation) };
    if ('value' in op) {
      masked.value = masker.isMaskedPath(decodePointer(op.path)) ? MASKED_VALUE : masker.mask(op.value);
    }
    return masked;
  });
}

const pointer = (field: string) => `/${field.replace(/~/g, '~0').replace(/\//g, '~1')}`;

/**
 * The patch of the top-level members holding an envelope on either side, as whole-value
 * operations, and both snapshots without those members (for the member-wise diff).
 */
function splitEnvelopes(before: JsonObject, after: JsonObject) {
  const fields = new Set(
    [...Object.keys(before), ...Object.keys(after)].filter(
      (f) => isPersonalDataEnvelope(before[f]) || isPersonalDataEnvelope(after[f]),
    ),
  );
  if (fields.size === 0) return { before, after, ops: [] };
  const rest = (s: JsonObject) => Object.fromEntries(Object.entries(s).filter(([k]) => !fields.has(k)));
  const ops = [...fields].sort().flatMap((field): Operation[] => {
    const path = pointer(field);
    if (!(field in after)) return [{ op: 'remove', path }];
    if (!(field in before)) return [{ op: 'add', path, value: after[field] }];
    return sameJson(before[field], after[field]) ? [] : [{ op: 'replace', path, value: after[field] }];
  });
  return { before: rest(before), after: rest(after), ops };
}

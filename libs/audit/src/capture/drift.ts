import { canonicalJson } from '../crypto/canonical-json';
import type { JsonObject } from '../events/audit-event';

/**
 * Fields whose value in an event's `before` differs from the previous event's `after`: the record
 * changed between two audited calls, outside audited code. Only fields present in both count
 * (a change of `only`/`ignore` between releases is not drift); both snapshots are masked, so a
 * masked field never shows as drift and its value is never compared in the clear.
 */
export function driftedFields(previousAfter: JsonObject | null, before: JsonObject | null): string[] {
  if (!previousAfter || !before) return [];
  return Object.keys(before)
    .filter((field) => field in previousAfter)
    .filter((field) => !canonicalJson(before[field]).equals(canonicalJson(previousAfter[field])))
    .sort();
}

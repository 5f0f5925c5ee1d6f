import { canonicalJson } from '../crypto/canonical-json';
import { isPersonalDataEnvelope } from '../crypto/personal-data-envelope';
import type { JsonObject } from '../events/audit-event';

/** A value drift detection cannot compare (a personal value it cannot decrypt): never drift. */
export const UNKNOWN_VALUE: unique symbol = Symbol('audit:unknown-value');

/** The value of `field` as drift detection compares it, or UNKNOWN_VALUE. */
export type ComparableValue = (field: string, value: unknown) => unknown;

/** Without subject keys: an envelope's plaintext is unknown (its random IV differs every time). */
const opaqueEnvelopes: ComparableValue = (_, value) =>
  isPersonalDataEnvelope(value) ? UNKNOWN_VALUE : value;

/**
 * Fields whose value in an event's `before` differs from the previous event's `after`: the record
 * changed between two audited calls, outside audited code. Only fields present in both count
 * (a change of `only`/`ignore` between releases is not drift); both snapshots are masked, so a
 * masked field never shows as drift and its value is never compared in the clear. Personal values
 * are compared as `comparable` decrypts them; one that cannot be decrypted never shows as drift.
 */
export function driftedFields(
  previousAfter: JsonObject | null,
  before: JsonObject | null,
  comparable: ComparableValue = opaqueEnvelopes,
): string[] {
  if (!previousAfter || !before) return [];
  return Object.keys(before)
    .filter((field) => field in previousAfter)
    .filter((field) => {
      const was = comparable(field, previousAfter[field]);
      const is = comparable(field, before[field]);
      if (was === UNKNOWN_VALUE || is === UNKNOWN_VALUE) return false;
      return !canonicalJson(was).equals(canonicalJson(is));
    })
    .sort();
}

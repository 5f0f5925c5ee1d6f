import { MASKED_VALUE } from '../audit.constants';
import { isPersonalDataEnvelope } from '../crypto/personal-data-envelope';
import type { JsonObject } from '../events/audit-event';

/**
 * Decides which field names are sensitive and replaces their values with `[MASKED]`. A name is
 * masked when it matches the configured pattern, is listed in `maskedFields`, or is marked with
 * `@AuditMasked()` on the entity; the rule applies at every depth.
 */
export class FieldMasker {
  private readonly names: Set<string>;

  constructor(
    private readonly pattern: RegExp,
    names: Iterable<string>,
  ) {
    this.names = new Set([...names].map((n) => n.toLowerCase()));
  }

  /** A masker that also masks the given entity properties. */
  withNames(extra: Iterable<string>): FieldMasker {
    return new FieldMasker(this.pattern, [...this.names, ...extra]);
  }

  isMaskedName(name: string): boolean {
    // NOTE: a /g or /y pattern keeps lastIndex between calls; reset it so the answer never alternates.
    this.pattern.lastIndex = 0;
    return this.names.has(name.toLowerCase()) || this.pattern.test(name);
  }

  /** True when any segment of a dotted or JSON-pointer path is a masked name. */
  isMaskedPath(segments: string[]): boolean {
    return segments.some((s) => this.isMaskedName(s));
  }

  mask<T>(value: T): T {
    if (Array.isArray(value)) return value.map((v) => this.mask(v)) as T;
    // An envelope is one opaque value: its members are never field names.
    if (value === null || typeof value !== 'object' || isPersonalDataEnvelope(value)) return value;
    const out: JsonObject = {};
    for (const [key, member] of Object.entries(value as JsonObject)) {
      out[key] = this.isMaskedName(key) ? MASKED_VALUE : this.mask(member);
    }
    return out as T;
  }
}

import { ReferenceKind, type EntityMetadata } from '@mikro-orm/core';
import type { JsonObject } from '../events/audit-event';
import { toJsonValue } from './to-json-value';

/**
 * The persisted state of a managed entity as a plain JSON object: scalars, embeddables and JSON
 * columns by value, owned to-one relations by id. Collections are left out: a to-many change is
 * recorded on the entity that owns the join.
 */
export function snapshotEntity(meta: EntityMetadata, entity: object): JsonObject {
  const snapshot: JsonObject = {};
  const record = entity as Record<string, unknown>;
  for (const prop of meta.props) {
    // NOTE: inlined embeddable members (prop.embedded) are captured through their parent property.
    if (prop.persist === false || prop.embedded) continue;
    switch (prop.kind) {
      case ReferenceKind.SCALAR:
      case ReferenceKind.EMBEDDED:
        snapshot[prop.name] = toJsonValue(record[prop.name]);
        break;
      case ReferenceKind.MANY_TO_ONE:
        snapshot[prop.name] = toJsonValue(record[prop.name]);
        break;
      case ReferenceKind.ONE_TO_ONE:
        if (prop.owner) snapshot[prop.name] = toJsonValue(record[prop.name]);
        break;
      default:
        break;
    }
  }
  return snapshot;
}

/** Keeps only `only` fields (when given) and drops `ignore` fields. */
export function selectFields(snapshot: JsonObject, only?: string[], ignore?: string[]): JsonObject {
  if (!only && !ignore) return snapshot;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(snapshot)) {
    if (only && !only.includes(key)) continue;
    if (ignore?.includes(key)) continue;
    out[key] = value;
  }
  return out;
}

import { Reference, Utils, wrap } from '@mikro-orm/core';

/**
 * Turns any property value into a deterministic JSON value: dates become ISO-8601 UTC strings,
 * bigints and decimals strings (no precision lost), buffers base64, entities their primary key,
 * objects get sorted keys and lose `undefined` members. Written by hand because the rules are
 * about MikroORM values (references, entities), which no generic serialiser knows.
 */
export function toJsonValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value.toString();
    case 'function':
    case 'symbol':
      return null;
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  const object = value;
  if (Reference.isReference(object)) return primaryKeyOf(object.unwrap());
  const isEntity: boolean = Utils.isEntity(object);
  if (isEntity) return primaryKeyOf(object);
  if (Array.isArray(object)) return object.map(toJsonValue);
  if (object instanceof Set) return [...object].map(toJsonValue);
  const entries = object instanceof Map ? [...object.entries()] : Object.entries(object);
  const out: Record<string, unknown> = {};
  for (const [key, member] of entries.sort(([a], [b]) => (String(a) < String(b) ? -1 : 1))) {
    if (member !== undefined && typeof member !== 'function') out[String(key)] = toJsonValue(member);
  }
  return out;
}

/** Primary key of an entity as a JSON value (composite keys become arrays). */
export function primaryKeyOf(entity: object): unknown {
  return toJsonValue(wrap(entity, true).getPrimaryKey());
}

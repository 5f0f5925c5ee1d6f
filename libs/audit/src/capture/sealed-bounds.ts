import { createHash } from 'node:crypto';
import { isPersonalDataEnvelope } from '../crypto/personal-data-envelope';
import type { AuditEvent, JsonObject, JsonPatchOperation } from '../events/audit-event';

/**
 * Starts the suffix that replaces the end of a value too long to seal:
 * `<prefix>…[truncated <bytes> bytes, sha256:<hex>]`, where bytes and hex are the length and the
 * SHA-256 of the whole original's UTF-8. The same sequence in input is neutralised (its `…`
 * becomes U+FFFD), so a sealed string holding it was always shortened by the library.
 */
export const TRUNCATION_MARKER = '\u2026[truncated ';
const NEUTRALISED_MARKER = '\uFFFD[truncated ';

/**
 * The bound of identifiers (entity type and id, tenant, actor, module, transaction code, the
 * request's source) and of object keys and changed-field names: they are indexed columns, and a
 * PostgreSQL btree or GIN entry holds at most about 2.7 kB.
 */
export const IDENTIFIER_BYTES = 512;

/** The default `maxSealedStringBytes`: generous for a text column, small for a log line. */
export const DEFAULT_SEALED_STRING_BYTES = 8192;

/** The smallest `maxSealedStringBytes`: room for a marker and a useful prefix. */
export const MIN_SEALED_STRING_BYTES = IDENTIFIER_BYTES;

// NUL (PostgreSQL text and jsonb refuse it) and UTF-16 surrogates without their other half (which
// no UTF-8 can encode, so jsonb refuses their escapes).
// eslint-disable-next-line no-control-regex -- NUL is exactly what this must find
const UNSEALABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * A value as JSON text PostgreSQL's jsonb accepts: NUL and lone surrogates in its strings replaced
 * by U+FFFD, nothing cut (the capture context, bounded when its events are sealed).
 */
export function sealableJson(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) =>
    typeof member === 'string' ? member.replace(UNSEALABLE, '\uFFFD') : member,
  );
}

/**
 * `text` as it may be sealed: NUL and lone surrogates replaced by U+FFFD, the truncation marker
 * neutralised, then cut to at most `maxBytes` UTF-8 bytes (`fitText`). Deterministic: the same
 * input gives the same output, so equal values stay equal.
 */
export function boundText(text: string, maxBytes: number): string {
  let clean = text.replace(UNSEALABLE, '\uFFFD');
  if (clean.includes(TRUNCATION_MARKER)) clean = clean.split(TRUNCATION_MARKER).join(NEUTRALISED_MARKER);
  return fitText(clean, maxBytes, text);
}

/**
 * A string already made of sealable parts (a path joined from bounded keys), cut to at most
 * `maxBytes` UTF-8 bytes: unchanged when it fits, else the longest prefix that ends on a whole
 * character, followed by the marker naming the length and SHA-256 of `original`.
 */
export function fitText(text: string, maxBytes: number, original = text): string {
  if (text.length * 3 <= maxBytes || utf8Bytes(text) <= maxBytes) return text;
  return truncated(text, maxBytes, original);
}

/** The longest prefix of `text` that, with the marker for `original`, fits in `maxBytes`. */
function truncated(text: string, maxBytes: number, original: string): string {
  const whole = Buffer.from(original, 'utf8');
  const marker = `${TRUNCATION_MARKER}${whole.length} bytes, sha256:${createHash('sha256').update(whole).digest('hex')}]`;
  let room = maxBytes - utf8Bytes(marker);
  let end = 0;
  // NOTE: by code point, so a surrogate pair or a multi-byte character is never split.
  for (const char of text) {
    const size = utf8Bytes(char);
    if (size > room) break;
    room -= size;
    end += char.length;
  }
  return text.slice(0, end) + marker;
}

/**
 * A JSON value as it may be sealed: every string bounded to `maxBytes` and every object key to
 * `IDENTIFIER_BYTES` (`boundText`). A value under a key `isMaskedName` masks becomes `masked`
 * before its key is shortened, so cutting a key never unmasks it. Personal-data envelopes are
 * kept whole (cutting one would make it undecryptable).
 */
export function boundJson(
  value: unknown,
  maxBytes: number,
  isMaskedName?: (key: string) => boolean,
  masked?: unknown,
): unknown {
  if (typeof value === 'string') return boundText(value, maxBytes);
  if (Array.isArray(value)) return value.map((v) => boundJson(v, maxBytes, isMaskedName, masked));
  if (value === null || typeof value !== 'object' || isPersonalDataEnvelope(value)) return value;
  const out: JsonObject = {};
  for (const [key, member] of Object.entries(value as JsonObject)) {
    let name = boundText(key, IDENTIFIER_BYTES);
    // NOTE: two keys that differ only in what sanitising replaced would collide: the later one
    // takes the marker form, unique by the original's hash.
    if (name in out) name = truncated(name, IDENTIFIER_BYTES, key);
    out[name] =
      name !== key && isMaskedName?.(key) ? masked : boundJson(member, maxBytes, isMaskedName, masked);
  }
  return out;
}

const optional = (text: string | null, maxBytes = IDENTIFIER_BYTES) =>
  text === null || text === undefined ? text : boundText(text, maxBytes);

/** A JSON pointer with each segment bounded as a key, so a replayed patch names the snapshot's keys. */
function boundPointer(pointer: string): string {
  if (pointer === '') return pointer;
  return pointer
    .split('/')
    .map((segment, i) =>
      i === 0
        ? segment
        : boundText(segment.replace(/~1/g, '/').replace(/~0/g, '~'), IDENTIFIER_BYTES)
            .replace(/~/g, '~0')
            .replace(/\//g, '~1'),
    )
    .join('/');
}

/**
 * Every string of an event freshly built from input, bounded (`boundJson`, identifiers to
 * `IDENTIFIER_BYTES`). Apply it once, where the event is made: a second pass would neutralise
 * the markers of the first. `masked` is what a masked value reads as (`[MASKED]`).
 */
export function boundEvent(
  event: AuditEvent,
  maxBytes: number,
  isMaskedName?: (key: string) => boolean,
  masked?: unknown,
): AuditEvent {
  const json = <T>(value: T): T => boundJson(value, maxBytes, isMaskedName, masked) as T;
  return {
    ...event,
    actor: {
      ...event.actor,
      id: boundText(event.actor.id, IDENTIFIER_BYTES),
      display: optional(event.actor.display),
    },
    action: boundText(event.action, IDENTIFIER_BYTES),
    entityType: boundText(event.entityType, IDENTIFIER_BYTES),
    entityId: boundText(event.entityId, IDENTIFIER_BYTES),
    tenantId: optional(event.tenantId),
    module: optional(event.module),
    transactionCode: optional(event.transactionCode),
    before: json(event.before),
    after: json(event.after),
    changes: event.changes.map((c) => ({
      field: boundText(c.field, IDENTIFIER_BYTES),
      before: json(c.before),
      after: json(c.after),
    })),
    patch: event.patch.map((op) => {
      const out: JsonPatchOperation = { ...op, path: boundPointer(op.path) };
      if ('value' in op) out.value = json(op.value);
      if (op.from !== undefined) out.from = boundPointer(op.from);
      return out;
    }),
    source: {
      ip: optional(event.source.ip),
      userAgent: optional(event.source.userAgent),
      requestId: optional(event.source.requestId),
      sessionId: optional(event.source.sessionId),
    },
    metadata: json(event.metadata),
  };
}

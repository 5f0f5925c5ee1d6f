import { hash } from 'node:crypto';
import type { AuditEvent } from '../events/audit-event';
import { normalizeEvent } from '../events/normalize-event';
import { canonicalJsonText } from './canonical-json';

/**
 * Name and version of the event hash every new event is sealed with; stored with every event so a
 * downgrade is visible. `audit/v1.1` adds `operationId`, `origin` and `database` to the hashed
 * fields of `audit/v1` (docs/integrity.md §2).
 */
export const EVENT_HASH_ALG = 'audit/v1.1';

/** The first event hash: events sealed before `audit/v1.1` keep it and still verify. */
export const EVENT_HASH_ALG_V1 = 'audit/v1';

/** The event hash algorithms a verifier accepts. */
export const EVENT_HASH_ALGS: readonly string[] = [EVENT_HASH_ALG_V1, EVENT_HASH_ALG];

/** `prev_hash` of the first event of every chain. */
export const GENESIS_HASH = Buffer.alloc(32);

/** The hashed form of an event: its normalised fields, its chain position and the previous hash (hex). */
export type HashedEventFields = AuditEvent & { chainSeq: number; prevHash: string };

/** True when an `audit/v1` event holds a member that version does not hash (it must hold none). */
export function hasUnhashedV1Members(event: AuditEvent): boolean {
  return (
    (event.operationId ?? null) !== null ||
    (event.origin ?? null) !== null ||
    (event.database ?? null) !== null
  );
}

/**
 * The hashed form of an event: its normalised recorded fields (an explicit list, so nothing is
 * added silently), its place in its entity's chain and the previous event's hash (hex). Entity
 * and tenant are inside, so an event moved to another record no longer matches its hash.
 * `audit/v1` hashes neither `operationId`, `origin` nor `database`.
 */
export function hashedEventFields(
  event: AuditEvent,
  chainSeq: number,
  prevHash: Buffer,
  alg: string = EVENT_HASH_ALG,
): HashedEventFields {
  // NOTE: normalizeEvent returns a new object; extending it in place spares a copy per event.
  const fields = Object.assign(normalizeEvent(event), { chainSeq, prevHash: prevHash.toString('hex') });
  if (alg === EVENT_HASH_ALG_V1) {
    delete fields.operationId;
    delete fields.origin;
    delete fields.database;
  }
  return fields;
}

/** SHA-256(alg || "\0" || JCS(hashed fields)): the event's link in its entity chain. */
export function eventHash(
  event: AuditEvent,
  chainSeq: number,
  prevHash: Buffer,
  alg: string = EVENT_HASH_ALG,
): Buffer {
  // One-shot hash of the UTF-8 text: no Hash object, no intermediate buffer (verification hashes every event).
  return hash(
    'sha256',
    `${alg}\0${hashedFieldsText(hashedEventFields(event, chainSeq, prevHash, alg))}`,
    'buffer',
  );
}

const isText = (value: unknown) => value === null || typeof value === 'string';
// What JSON.stringify (and so RFC 8785) escapes in a string, and any surrogate, paired or not.
// eslint-disable-next-line no-control-regex
const ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;
// NOTE: JSON.stringify's text, without its call for a string with nothing to escape: every event
// quotes about twenty short strings, and this halves what they cost.
const quoted = (v: string) => (ESCAPED.test(v) ? JSON.stringify(v) : `"${v}"`);
// RFC 8785 writes strings and finite numbers exactly as JSON.stringify does; everything else
// (objects to sort, what is not JSON) goes to the generic canonicaliser.
const value = (v: unknown): string =>
  typeof v === 'string' ? quoted(v) : v === null ? 'null' : canonicalJsonText(v);
const q = (v: string | null) => (v === null ? 'null' : quoted(v));

/**
 * JCS of the hashed fields, written member by member in their fixed sorted order: about 1.5x
 * faster than sorting every object, and verification canonicalises every event it reads. Only
 * snapshots, metadata, patches and change values go through the generic canonicaliser. A member
 * of another type than the shape's takes the generic path for the whole event, so the text is
 * always exactly `canonicalJsonText(fields)` (the unit tests compare the two).
 */
export function hashedFieldsText(f: HashedEventFields): string {
  const { actor: a, source: s } = f;
  const v11 = 'origin' in f;
  const db = f.database;
  const fixed = [
    f.action,
    a.display,
    a.id,
    a.type,
    f.entityId,
    f.entityType,
    f.id,
    f.module,
    f.occurredAt,
    f.prevHash,
    s.ip,
    s.requestId,
    s.sessionId,
    s.userAgent,
    f.tenantId,
    f.transactionCode,
    ...(v11 ? [f.operationId, f.origin] : []),
    ...(db ? [db.role, db.time, db.transactionId] : []),
  ];
  if (
    !fixed.every(isText) ||
    !Number.isFinite(f.chainSeq) ||
    !f.changes.every((c) => typeof c.field === 'string')
  )
    return canonicalJsonText(f);
  let changes = '[';
  for (const c of f.changes) {
    if (changes.length > 1) changes += ',';
    changes += `{"after":${value(c.after)},"before":${value(c.before)},"field":${quoted(c.field)}}`;
  }
  const database = !v11
    ? ''
    : db
      ? `,"database":{"role":${q(db.role)},"time":${q(db.time)},"transactionId":${q(db.transactionId)}}`
      : ',"database":null';
  const operation = v11 ? `,"operationId":${q(f.operationId ?? null)},"origin":${q(f.origin ?? null)}` : '';
  return (
    `{"action":${q(f.action)},"actor":{"display":${q(a.display)},"id":${q(a.id)},"type":${q(a.type)}}` +
    `,"after":${value(f.after)},"before":${value(f.before)},"chainSeq":${JSON.stringify(f.chainSeq)}` +
    `,"changes":${changes}]${database},"entityId":${q(f.entityId)},"entityType":${q(f.entityType)},"id":${q(f.id)}` +
    `,"metadata":${value(f.metadata)},"module":${q(f.module)},"occurredAt":${q(f.occurredAt)}${operation}` +
    `,"patch":${value(f.patch)},"prevHash":${q(f.prevHash)},"source":{"ip":${q(s.ip)}` +
    `,"requestId":${q(s.requestId)},"sessionId":${q(s.sessionId)},"userAgent":${q(s.userAgent)}}` +
    `,"tenantId":${q(f.tenantId)},"transactionCode":${q(f.transactionCode)}}`
  );
}

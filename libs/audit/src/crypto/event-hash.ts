import { hash } from 'node:crypto';
import type { AuditEvent } from '../events/audit-event';
import { isCanonicalTime, normalizeEvent } from '../events/normalize-event';
import { canonicalJsonText, canonicalOrder } from './canonical-json';

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
  prevHash: PrevHash,
  alg: string = EVENT_HASH_ALG,
): HashedEventFields {
  const hex = hexOf(prevHash);
  // NOTE: normalizeEvent returns a new object; extending it in place spares a copy per event.
  const fields = Object.assign(normalizeEvent(event), { chainSeq, prevHash: hex });
  if (alg === EVENT_HASH_ALG_V1) {
    delete fields.operationId;
    delete fields.origin;
    delete fields.database;
  }
  return fields;
}

/**
 * A previous hash as bytes, or as the lowercase hex text a reader already holds (the trail read
 * selects it so): taken as is, with no second encoding per event.
 */
export type PrevHash = Buffer | string;

/** A hash as lowercase hex: text is taken as it is, bytes are encoded. */
export const hexOf = (digest: Buffer | string) =>
  typeof digest === 'string' ? digest : digest.toString('hex');

/** SHA-256(alg || "\0" || JCS(hashed fields)): the event's link in its entity chain. */
export function eventHash(
  event: AuditEvent,
  chainSeq: number,
  prevHash: PrevHash,
  alg: string = EVENT_HASH_ALG,
): Buffer {
  // One-shot hash of the UTF-8 text: no Hash object, no intermediate buffer (verification hashes every event).
  return hash('sha256', hashInput(event, chainSeq, prevHash, alg), 'buffer');
}

/** `eventHash` as lowercase hex, for readers that compare it with a hash they hold as hex. */
export const eventHashHex = (...args: Parameters<typeof eventHash>): string =>
  hash('sha256', hashInput(...args), 'hex');

const hashInput = (event: AuditEvent, chainSeq: number, prevHash: PrevHash, alg: string = EVENT_HASH_ALG) =>
  `${alg}\0${hashedEventText(event, chainSeq, prevHash, alg)}`;

const isText = (value: unknown) => value === null || typeof value === 'string';

/**
 * JCS of an event's hashed fields: exactly `canonicalJsonText(hashedEventFields(event, chainSeq,
 * prevHash, alg))` (the unit tests compare the two with a sorting serialiser). Verification writes
 * it for every event it reads and sealing for every event it seals, so the usual shape is written
 * without the normalised copy: one object built with its members in their sorted order (what the
 * native JSON.stringify writes in insertion order), about 1.4x faster than concatenating the text
 * member by member, with the nested JSON in canonical order (kept when already sorted, as a
 * reader's copy is). Anything else (a member of another type, a time not in its ISO form, JSON
 * the native serialiser cannot write canonically) takes the generic path, which normalises,
 * sorts, or throws as it always did.
 */
export function hashedEventText(
  event: AuditEvent,
  chainSeq: number,
  prevHash: PrevHash,
  alg: string = EVENT_HASH_ALG,
): string {
  const hex = hexOf(prevHash);
  const fields = orderedFields(event, chainSeq, hex, alg !== EVENT_HASH_ALG_V1);
  return fields !== undefined
    ? JSON.stringify(fields)
    : canonicalJsonText(hashedEventFields(event, chainSeq, hex, alg));
}

/**
 * The hashed fields as normalizeEvent gives them (absent members null, changes and source reduced
 * to their documented members), inserted in sorted member order; undefined when the generic path
 * must write them.
 */
function orderedFields(e: AuditEvent, chainSeq: number, prevHash: string, v11: boolean): object | undefined {
  const a: unknown = e.actor;
  const s = e.source as Partial<AuditEvent['source']> | null | undefined;
  const db = e.database;
  const changes = orderedChanges(e.changes ?? []);
  const after = canonicalOrder(e.after ?? null);
  const before = canonicalOrder(e.before ?? null);
  const metadata = canonicalOrder(e.metadata ?? {});
  const patch = canonicalOrder(e.patch ?? []);
  if (
    a === null ||
    typeof a !== 'object' ||
    !isCanonicalTime(e.occurredAt) ||
    !Number.isFinite(chainSeq) ||
    changes === undefined ||
    after === undefined ||
    before === undefined ||
    metadata === undefined ||
    patch === undefined
  )
    return undefined;
  const { display = null, id: actorId, type } = a as AuditEvent['actor'];
  const actor = { display, id: actorId, type };
  const source = {
    ip: s?.ip ?? null,
    requestId: s?.requestId ?? null,
    sessionId: s?.sessionId ?? null,
    userAgent: s?.userAgent ?? null,
  };
  const database = db ? { role: db.role, time: db.time, transactionId: db.transactionId } : null;
  const fields = {
    action: e.action,
    actor,
    after,
    before,
    chainSeq,
    changes,
    database,
    entityId: e.entityId,
    entityType: e.entityType,
    id: e.id,
    metadata,
    module: e.module ?? null,
    occurredAt: e.occurredAt,
    operationId: e.operationId ?? null,
    origin: e.origin ?? null,
    patch,
    prevHash,
    source,
    tenantId: e.tenantId ?? null,
    transactionCode: e.transactionCode ?? null,
  };
  if (
    !isText(fields.action) ||
    !isText(actor.display) ||
    !isText(actor.id) ||
    !isText(actor.type) ||
    !isText(fields.entityId) ||
    !isText(fields.entityType) ||
    !isText(fields.id) ||
    !isText(fields.module) ||
    !isText(source.ip) ||
    !isText(source.requestId) ||
    !isText(source.sessionId) ||
    !isText(source.userAgent) ||
    !isText(fields.tenantId) ||
    !isText(fields.transactionCode) ||
    (v11 &&
      (!isText(fields.operationId) ||
        !isText(fields.origin) ||
        (database !== null &&
          !(isText(database.role) && isText(database.time) && isText(database.transactionId)))))
  )
    return undefined;
  if (v11) return fields;
  // audit/v1 hashes neither member; the rest keeps the others in their order.
  const { database: _database, operationId: _operationId, origin: _origin, ...v1 } = fields;
  return v1;
}

/** Changes as normalizeEvent reduces them, members sorted; undefined for the generic path. */
function orderedChanges(changes: unknown): object[] | undefined {
  if (!Array.isArray(changes)) return undefined;
  const out: object[] = new Array<object>(changes.length);
  for (let i = 0; i < changes.length; i++) {
    const c: unknown = changes[i];
    if (c === null || typeof c !== 'object') return undefined;
    const { field, before = null, after = null } = c as AuditEvent['changes'][number];
    const sortedAfter = canonicalOrder(after);
    const sortedBefore = canonicalOrder(before);
    if (typeof field !== 'string' || sortedAfter === undefined || sortedBefore === undefined)
      return undefined;
    out[i] = { after: sortedAfter, before: sortedBefore, field };
  }
  return out;
}

import { InvalidQueryInputError } from '../errors/invalid-query-input.error';
import { EARLIEST_QUERY_DATE, LATEST_QUERY_DATE } from '../query/audit-query';

// Opaque cursors: base64url of a JSON array [kind, ...position]. The kind ties a cursor to the
// query that issued it, so a cursor from one query is refused by another.

/** Longest cursor accepted: ours are under 100 characters. */
const MAX_CURSOR_LENGTH = 256;
/** An `occurredAt` as the store returns it (ISO-8601, UTC). */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/** What a position member holds: a non-negative safe integer, or a stored `occurredAt`. */
export type CursorMember = 'number' | 'timestamp';

export function encodeCursor(kind: string, position: (string | number)[]): string {
  return Buffer.from(JSON.stringify([kind, ...position])).toString('base64url');
}

/** The position in a cursor of `kind` with `types` members, or a BAD_USER_INPUT error. */
export function decodeCursor(cursor: string, kind: string, types: CursorMember[]): (string | number)[] {
  let parsed: unknown;
  try {
    parsed =
      cursor.length <= MAX_CURSOR_LENGTH && /^[A-Za-z0-9_-]*$/.test(cursor)
        ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
        : null;
  } catch {
    parsed = null;
  }
  const valid =
    Array.isArray(parsed) &&
    parsed[0] === kind &&
    parsed.length === types.length + 1 &&
    types.every((t, i) => isMember(t, parsed[i + 1]));
  if (!valid)
    throw new InvalidQueryInputError(
      'Malformed cursor: pass back an endCursor this query returned.',
      'after',
    );
  return (parsed as (string | number)[]).slice(1);
}

function isMember(type: CursorMember, value: unknown): boolean {
  if (type === 'number') return Number.isSafeInteger(value) && (value as number) >= 0;
  if (typeof value !== 'string' || !TIMESTAMP.test(value)) return false;
  const time = new Date(value);
  return time >= EARLIEST_QUERY_DATE && time <= LATEST_QUERY_DATE;
}

import { InvalidQueryInputError } from '../errors/invalid-query-input.error';

// Opaque cursors: base64url of a JSON array [kind, ...position]. The kind ties a cursor to the
// query that issued it, so a cursor from one query is refused by another.

export function encodeCursor(kind: string, position: (string | number)[]): string {
  return Buffer.from(JSON.stringify([kind, ...position])).toString('base64url');
}

/** The position in a cursor of `kind` with `types` members, or a BAD_USER_INPUT error. */
export function decodeCursor(
  cursor: string,
  kind: string,
  types: ('string' | 'number')[],
): (string | number)[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  const valid =
    Array.isArray(parsed) &&
    parsed[0] === kind &&
    parsed.length === types.length + 1 &&
    types.every(
      (t, i) => typeof parsed[i + 1] === t && (t !== 'number' || Number.isSafeInteger(parsed[i + 1])),
    );
  if (!valid)
    throw new InvalidQueryInputError(
      'Malformed cursor: pass back an endCursor this query returned.',
      'after',
    );
  return (parsed as (string | number)[]).slice(1);
}

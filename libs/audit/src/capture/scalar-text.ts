/** A string, number or bigint as text; anything else (objects, arrays, null) as null. */
export function scalarText(value: unknown): string | null {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint'
    ? String(value)
    : null;
}

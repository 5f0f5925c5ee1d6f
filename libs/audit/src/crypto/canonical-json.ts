import { configure } from 'safe-stable-stringify';
import { InvalidHashError } from '../errors/invalid-hash.error';

// RFC 8785 is ECMAScript's JSON serialisation of numbers and strings with object members sorted
// by UTF-16 code units: exactly what safe-stable-stringify writes in deterministic mode (its sort
// compares code units), and in strict mode it throws on anything that is not JSON (functions,
// NaN, bigint, cycles). Chosen over the reference `canonicalize` because it is ~1.6x faster and
// canonicalisation dominates the cost of verifying a trail; both pass ../shared/vectors/jcs.
const jcs = configure({ deterministic: true, strict: true });

/**
 * RFC 8785 (JCS) canonical form of a JSON value, as UTF-8 bytes: what every hash and signature
 * of the ledger is computed over.
 */
export function canonicalJson(value: unknown): Buffer {
  return Buffer.from(canonicalJsonText(value), 'utf8');
}

// Member lists up to this long are sorted by insertion: Array.prototype.sort costs about 0.4 µs a
// call on a handful of names (more than the rest of a small object's copy), insertion 0.03 µs.
const INSERTION_SORT_MAX = 12;

/**
 * An object's member names in ascending UTF-16 code unit order (what `sort()` without a comparator
 * gives for strings, and what RFC 8785 asks).
 */
function sortedKeys(value: object): string[] {
  const keys = Object.keys(value);
  if (keys.length > INSERTION_SORT_MAX) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i];
    let j = i - 1;
    for (; j >= 0 && keys[j] > key; j--) keys[j + 1] = keys[j];
    keys[j + 1] = key;
  }
  return keys;
}

// Deeper values take the general path (which also refuses cycles); stored events nest a few levels.
const FAST_DEPTH = 32;

/**
 * True when JSON.stringify(value) is already its canonical form: only JSON values (finite numbers,
 * plain objects and arrays) and every object's members, in the order JSON.stringify lists them
 * (Object.keys: array-index names first), ascending by UTF-16 code units.
 */
function isCanonicalOrder(value: unknown, depth: number): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (depth > FAST_DEPTH) return false;
      if (Array.isArray(value)) {
        if (Object.getPrototypeOf(value) !== Array.prototype) return false;
        for (let i = 0; i < value.length; i++) if (!isCanonicalOrder(value[i], depth + 1)) return false;
        return true;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      let previous: string | null = null;
      for (const key of Object.keys(value)) {
        if (previous !== null && !(previous < key)) return false;
        previous = key;
        if (!isCanonicalOrder((value as Record<string, unknown>)[key], depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/**
 * A copy of a JSON value with every object's members inserted in ascending UTF-16 order, and
 * "__proto__" kept as a member. `forText`: undefined instead when JSON.stringify could not write
 * the copy in canonical form: anything but plain JSON, deeper than FAST_DEPTH, or a member name
 * starting with a digit (JavaScript lists array-index names first, whatever the insertion order).
 */
function sortedCopy(value: unknown, depth: number, forText: boolean): unknown {
  if (value === null || typeof value !== 'object')
    return !forText || isCanonicalOrder(value, depth) ? value : undefined;
  if (forText && depth > FAST_DEPTH) return undefined;
  if (Array.isArray(value)) {
    if (forText && Object.getPrototypeOf(value) !== Array.prototype) return undefined;
    const out: unknown[] = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const member = sortedCopy(value[i], depth + 1, forText);
      if (member === undefined && forText) return undefined;
      out[i] = member;
    }
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (forText && proto !== Object.prototype && proto !== null) return undefined;
  const out: Record<string, unknown> = {};
  for (const key of sortedKeys(value)) {
    const first = key.charCodeAt(0);
    if (forText && first >= 0x30 && first <= 0x39) return undefined;
    const member = sortedCopy((value as Record<string, unknown>)[key], depth + 1, forText);
    if (member === undefined && forText) return undefined;
    // NOTE: "__proto__" is an ordinary member in JSON; an assignment would set the prototype instead.
    if (key === '__proto__')
      Object.defineProperty(out, key, {
        value: member,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else out[key] = member;
  }
  return out;
}

/**
 * The value in canonical member order, so that JSON.stringify writes its RFC 8785 form: itself
 * when it already is (values read back from a sorted copy: trails, bundles), else a sorted copy;
 * undefined when only the general canonicaliser can write it (not plain JSON, digit-first member
 * names, very deep). The native serialiser writes an ordered value 2-3x faster than a sorting one.
 */
export function canonicalOrder(value: unknown): unknown {
  return isCanonicalOrder(value, 0) ? value : sortedCopy(value, 0, true);
}

/**
 * JSON as a reader shows it (parsed from the driver or a file): every object's members sorted,
 * the value itself when they already are (jsonb's own order often is), else a sorted copy.
 */
export function sortedJson(value: unknown): unknown {
  return canonicalOrder(value) ?? sortedCopy(value, 0, false);
}

/** The canonical form as a string (hash it as UTF-8), saving a copy where a hash takes text. */
export function canonicalJsonText(value: unknown): string {
  const ordered = canonicalOrder(value);
  if (ordered !== undefined) return JSON.stringify(ordered);
  let text: string | undefined;
  try {
    text = jcs(value);
  } catch (error) {
    throw new InvalidHashError(`Only JSON values have a canonical form: ${(error as Error).message}`);
  }
  if (text === undefined)
    throw new InvalidHashError('Only JSON values have a canonical form (got undefined).');
  return text;
}

import fc from 'fast-check';
import { configure } from 'safe-stable-stringify';
import { vectorFiles } from '../../../../test/support/vectors';
import { InvalidHashError } from '../errors/invalid-hash.error';
import { canonicalJson, canonicalJsonText } from './canonical-json';

// The sorting serialiser alone: what canonicalJsonText must write whichever path it takes.
const sortingJcs = configure({ deterministic: true, strict: true });

/** A deep copy with every object's members inserted in sorted order (as trails and bundles hold them). */
function sortedCopy(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(sortedCopy);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort())
    Object.defineProperty(out, key, {
      value: sortedCopy((value as Record<string, unknown>)[key]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return out;
}

describe('canonicalJson (RFC 8785)', () => {
  const inputs = vectorFiles('jcs/input').filter(([name]) => name.endsWith('.json'));
  const outputs = new Map(vectorFiles('jcs/output'));

  it('has the published vectors to check against', () => {
    expect(inputs.length).toBeGreaterThanOrEqual(6);
  });

  it.each(inputs)('canonicalises %s byte for byte as the reference output', (name, input) => {
    const expected = outputs.get(name);
    expect(expected).toBeDefined();
    expect(canonicalJson(JSON.parse(input)).equals(Buffer.from(expected!, 'utf8'))).toBe(true);
  });

  it('refuses a value with no JSON form', () => {
    expect(() => canonicalJson(undefined)).toThrow(InvalidHashError);
  });

  it.each([
    ['NaN', { n: NaN }],
    ['Infinity', [Infinity]],
    ['a bigint', { n: 1n }],
    ['a function', { f: () => 1 }],
    [
      'a cycle',
      (() => {
        const o: Record<string, unknown> = {};
        o.self = o;
        return o;
      })(),
    ],
  ])('refuses %s inside a value instead of writing something that is not JSON', (_what, value) => {
    expect(() => canonicalJson(value)).toThrow(InvalidHashError);
  });

  it('writes values whose members are already sorted exactly as the sorting serialiser does (fast-check, 500 runs, seed 1204)', () => {
    // Any string as member name or value (lone surrogates, controls, digits first, "__proto__"),
    // any JSON value, each checked as given and as a sorted copy (the native-serialiser path).
    const json = fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' });
    fc.assert(
      fc.property(json, (value) => {
        for (const v of [value, sortedCopy(value)]) expect(canonicalJsonText(v)).toBe(sortingJcs(v));
      }),
      { numRuns: 500, seed: 1204 },
    );
  });

  it('orders the members of small and large objects alike: by insertion up to 12 names, by sort() above (fast-check, 300 runs, seed 1208)', () => {
    // Names that share prefixes and differ in case, surrogates and length: where an insertion sort
    // written with the wrong comparison would disagree with sort().
    const name = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 4 }),
      fc.constantFrom('a', 'aa', 'A', 'b', 'ab', '\u00e9', '\ud83d\ude00', '\uffff', '_', '~'),
    );
    const object = fc.dictionary(name, fc.oneof(fc.integer(), fc.string()), { minKeys: 0, maxKeys: 40 });
    fc.assert(
      fc.property(object, (value) => {
        expect(canonicalJsonText(value)).toBe(sortingJcs(value));
        expect(canonicalJsonText({ nested: [value] })).toBe(sortingJcs({ nested: [value] }));
      }),
      { numRuns: 300, seed: 1208 },
    );
  });

  it.each([
    ['digit-first member names', { '10': 1, '9': 2, a: 3 }, '{"10":1,"9":2,"a":3}'],
    ['a member named __proto__', JSON.parse('{"__proto__":1,"a":2}') as unknown, '{"__proto__":1,"a":2}'],
    [
      'a member named __proto__ out of order',
      JSON.parse('{"b":{"c":1},"__proto__":{"x":2}}') as unknown,
      '{"__proto__":{"x":2},"b":{"c":1}}',
    ],
    ['a Date (not JSON)', { d: new Date(0) }, '{"d":"1970-01-01T00:00:00.000Z"}'],
    ['an object with toJSON', { a: { toJSON: () => 'x', b: 1 } }, '{"a":"x"}'],
    ['negative zero', { a: -0 }, '{"a":0}'],
    [
      'a Buffer (its toJSON is inherited)',
      { b: Buffer.from([1, 2]) },
      '{"b":{"data":[1,2],"type":"Buffer"}}',
    ],
  ])('writes %s in canonical form', (_what, value, text) => {
    expect(canonicalJsonText(sortedCopy(value))).toBe(sortingJcs(sortedCopy(value)));
    expect(canonicalJsonText(value)).toBe(text);
  });

  it('refuses a cycle in sorted members, and values nested deeper than any event, like the rest', () => {
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.b = cycle;
    expect(() => canonicalJsonText(cycle)).toThrow(InvalidHashError);
    let deep: unknown = 1;
    for (let i = 0; i < 200; i++) deep = { a: deep };
    expect(canonicalJsonText(deep)).toBe(sortingJcs(deep));
  });

  it('sorts members by UTF-16 code units, not code points', () => {
    // U+FB33 sorts after U+1D11E's lead surrogate (0xD834) by code unit, before it by code point.
    expect(canonicalJson({ '\ufb33': 1, '\u{1d11e}': 2 }).toString()).toBe('{"\u{1d11e}":2,"\ufb33":1}');
  });
});

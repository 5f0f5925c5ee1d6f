import { vectorFiles } from '../../../../test/support/vectors';
import { InvalidHashError } from '../errors/invalid-hash.error';
import { canonicalJson } from './canonical-json';

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

  it('sorts members by UTF-16 code units, not code points', () => {
    // U+FB33 sorts after U+1D11E's lead surrogate (0xD834) by code unit, before it by code point.
    expect(canonicalJson({ '\ufb33': 1, '\u{1d11e}': 2 }).toString()).toBe('{"\u{1d11e}":2,"\ufb33":1}');
  });
});

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
});

import { MASKED_VALUE } from '../audit.constants';
import { DEFAULT_MASKED_FIELD_PATTERN } from '../audit-options';
import { FieldMasker } from './field-masker';
import { fieldChanges, jsonPatch } from './snapshot-diff';
import { toJsonValue } from './to-json-value';

const masker = new FieldMasker(DEFAULT_MASKED_FIELD_PATTERN, ['pin']);

describe('fieldChanges', () => {
  it('lists nothing for equal snapshots, whatever the key order', () => {
    expect(fieldChanges({ a: 1, b: { c: 2, d: 3 } }, { b: { d: 3, c: 2 }, a: 1 }, masker)).toEqual([]);
  });

  it('descends into nested objects and names the dotted path', () => {
    expect(
      fieldChanges(
        { profile: { address: { city: 'A', zip: '1' } } },
        { profile: { address: { city: 'B', zip: '1' } } },
        masker,
      ),
    ).toEqual([{ field: 'profile.address.city', before: 'A', after: 'B' }]);
  });

  it('compares arrays as whole values', () => {
    expect(fieldChanges({ tags: ['a', 'b'] }, { tags: ['b', 'a'] }, masker)).toEqual([
      { field: 'tags', before: ['a', 'b'], after: ['b', 'a'] },
    ]);
  });

  it('reports a field added or removed, and a nested object replaced by a scalar', () => {
    expect(fieldChanges({ a: { x: 1 } }, { a: null, b: true }, masker)).toEqual([
      { field: 'a', before: { x: 1 }, after: null },
      { field: 'b', before: null, after: true },
    ]);
  });

  it('compares dates by their ISO value', () => {
    const before = toJsonValue({ at: new Date('2026-01-01T00:00:00.000Z') }) as Record<string, unknown>;
    const same = toJsonValue({ at: new Date(Date.UTC(2026, 0, 1)) }) as Record<string, unknown>;
    const later = toJsonValue({ at: new Date('2026-01-01T00:00:00.001Z') }) as Record<string, unknown>;
    expect(fieldChanges(before, same, masker)).toEqual([]);
    expect(fieldChanges(before, later, masker)).toEqual([
      { field: 'at', before: '2026-01-01T00:00:00.000Z', after: '2026-01-01T00:00:00.001Z' },
    ]);
  });

  it('says that a masked field changed, at any depth, never how', () => {
    const changes = fieldChanges(
      { password: 'old', pin: '1111', creds: { apiKey: 'k1' }, same: { secretValue: 'x' } },
      { password: 'new', pin: '2222', creds: { apiKey: 'k2' }, same: { secretValue: 'x' } },
      masker,
    );
    expect(changes).toEqual([
      { field: 'creds.apiKey', before: MASKED_VALUE, after: MASKED_VALUE },
      { field: 'password', before: MASKED_VALUE, after: MASKED_VALUE },
      { field: 'pin', before: MASKED_VALUE, after: MASKED_VALUE },
    ]);
  });

  it('masks sensitive members inside a changed array or object value', () => {
    const [change] = fieldChanges({ keys: [] }, { keys: [{ name: 'ci', token: 'abc' }] }, masker);
    expect(change).toEqual({ field: 'keys', before: [], after: [{ name: 'ci', token: MASKED_VALUE }] });
  });

  it('lists every field of a CREATE (before null) and a DELETE (after null)', () => {
    expect(fieldChanges(null, { a: 1, ssn: '123' }, masker)).toEqual([
      { field: 'a', before: null, after: 1 },
      { field: 'ssn', before: MASKED_VALUE, after: MASKED_VALUE },
    ]);
    expect(fieldChanges({ a: 1 }, null, masker)).toEqual([{ field: 'a', before: 1, after: null }]);
  });
});

describe('jsonPatch', () => {
  it('is an RFC 6902 patch that turns before into after', () => {
    expect(jsonPatch({ a: 1, b: { c: 2 } }, { a: 2, b: { c: 2, d: 3 } }, masker)).toEqual([
      { op: 'add', path: '/b/d', value: 3 },
      { op: 'replace', path: '/a', value: 2 },
    ]);
  });

  it('masks values of sensitive paths and inside added objects', () => {
    expect(
      jsonPatch({ creditCard: '4111' }, { creditCard: '5500', extra: { password: 'p' } }, masker),
    ).toEqual([
      { op: 'replace', path: '/creditCard', value: MASKED_VALUE },
      { op: 'add', path: '/extra', value: { password: MASKED_VALUE } },
    ]);
  });
});

import { toJsonValue } from './to-json-value';

describe('toJsonValue', () => {
  it('serialises dates, bigints, buffers, maps and sets deterministically', () => {
    expect(
      toJsonValue({
        z: 1,
        a: new Date('2026-05-06T07:08:09.010Z'),
        big: 12345678901234567890n,
        bytes: Buffer.from('hi'),
        map: new Map([['k', 1]]),
        set: new Set(['x']),
        skip: undefined,
        fn: () => 1,
      }),
    ).toEqual({
      a: '2026-05-06T07:08:09.010Z',
      big: '12345678901234567890',
      bytes: 'aGk=',
      map: { k: 1 },
      set: ['x'],
      z: 1,
    });
  });

  it('sorts object keys so equal objects serialise identically', () => {
    expect(JSON.stringify(toJsonValue({ b: 1, a: { d: 1, c: 2 } }))).toBe(
      JSON.stringify(toJsonValue({ a: { c: 2, d: 1 }, b: 1 })),
    );
  });

  it('keeps non-finite numbers and invalid dates JSON-safe', () => {
    expect(toJsonValue([NaN, Infinity, new Date('nope')])).toEqual(['NaN', 'Infinity', null]);
  });
});

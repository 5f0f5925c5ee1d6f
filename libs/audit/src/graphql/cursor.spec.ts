import { InvalidQueryInputError } from '../errors/invalid-query-input.error';
import { decodeCursor, encodeCursor } from './cursor';

const raw = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('cursors', () => {
  it('decode what they encoded', () => {
    const cursor = encodeCursor('events:asc', ['2026-12-02T10:00:00.123Z', 42]);
    expect(decodeCursor(cursor, 'events:asc', ['timestamp', 'number'])).toEqual([
      '2026-12-02T10:00:00.123Z',
      42,
    ]);
    expect(decodeCursor(encodeCursor('trail', [7]), 'trail', ['number'])).toEqual([7]);
  });

  it('refuse crafted, foreign and oversized cursors as BAD_USER_INPUT', () => {
    const crafted = [
      raw(['events:asc', '0000-01-01T00:00:00.000Z', 1]),
      raw(['events:asc', '+275760-09-13T00:00:00.000Z', 1]),
      raw(['events:asc', '2026-01-01T00:00:00.000Z\u0000', 1]),
      raw(['events:asc', '2026-01-01 00:00:00', 1]),
      raw(['events:asc', '2026-01-01T00:00:00.000Z', -1]),
      raw(['events:asc', '2026-01-01T00:00:00.000Z', 2 ** 53]),
      raw(['events:desc', '2026-01-01T00:00:00.000Z', 1]),
      raw(['events:asc', '2026-01-01T00:00:00.000Z']),
      raw({ 0: 'events:asc' }),
      'A'.repeat(300),
      'not a cursor!',
    ];
    for (const cursor of crafted)
      expect(() => decodeCursor(cursor, 'events:asc', ['timestamp', 'number'])).toThrow(
        InvalidQueryInputError,
      );
  });
});

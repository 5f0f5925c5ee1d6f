import { InvalidQueryInputError } from '../errors/invalid-query-input.error';
import { checkQueryArguments } from './query-arguments';

const refused = (args: Record<string, unknown>) => {
  try {
    checkQueryArguments(args);
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidQueryInputError);
    return (error as InvalidQueryInputError).argument;
  }
};

describe('checkQueryArguments', () => {
  it('accepts ordinary arguments, emoji and dates from 1970 to 9999 included', () => {
    expect(
      refused({
        entityType: 'User 😀',
        first: 500,
        filter: { actions: ['CREATE', 'UPDATE'], from: new Date('1970-01-01T00:00:00Z') },
        to: new Date('9999-12-31T23:59:59.999Z'),
        after: null,
      }),
    ).toBeNull();
  });

  it('names the argument holding NUL, a lone surrogate, an overlong string or list', () => {
    expect(refused({ entityId: 'a\u0000b' })).toBe('entityId');
    expect(refused({ entityId: '\uD83D' })).toBe('entityId');
    expect(refused({ entityId: 'a\uDE00' })).toBe('entityId');
    expect(refused({ field: 'x'.repeat(513) })).toBe('field');
    expect(refused({ filter: { actions: Array(101).fill('A') } })).toBe('filter.actions');
    expect(refused({ filter: { actions: ['A', 'B\u0000'] } })).toBe('filter.actions');
  });

  it('refuses invalid and out-of-range date-times and unsafe numbers', () => {
    expect(refused({ at: new Date('yesterday') })).toBe('at');
    expect(refused({ filter: { from: new Date('0000-01-01T00:00:00Z') } })).toBe('filter.from');
    expect(refused({ to: new Date(8640000000000000) })).toBe('to');
    expect(refused({ from: new Date('1969-12-31T23:59:59.999Z') })).toBe('from');
    expect(refused({ first: 2 ** 53 })).toBe('first');
  });
});

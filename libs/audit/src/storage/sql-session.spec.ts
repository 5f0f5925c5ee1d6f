import { positional } from './sql-session';

describe('positional (knex placeholders to PostgreSQL parameters)', () => {
  it('numbers each value placeholder in order', () => {
    expect(positional('select ? as a, ?::uuid[] as b where x = any(?)', 3)).toBe(
      'select $1 as a, $2::uuid[] as b where x = any($3)',
    );
  });

  it('keeps an escaped question mark literal (the jsonb key operator)', () => {
    expect(positional(String.raw`select doc \? 'k', ? from t`, 1)).toBe(`select doc ? 'k', $1 from t`);
  });

  it('refuses a statement whose placeholders and values disagree, before it reaches the database', () => {
    expect(() => positional('select ?, ?', 1)).toThrow('SQL expects 2 parameters, got 1');
    expect(() => positional('select 1', 1)).toThrow('SQL expects 0 parameters, got 1');
  });
});

import { recordedCommandLine, redactUrls } from './command-line';

describe('recordedCommandLine', () => {
  it('keeps the command and its arguments, shell-quoted', () => {
    expect(recordedCommandLine(['keys', 'rotate', '--reason', "the key's age"])).toBe(
      `audit-ledger keys rotate --reason 'the key'\\''s age'`,
    );
  });

  it('leaves out the values of options named like secrets, in both spellings', () => {
    expect(
      recordedCommandLine(['export', '--api-key', 'k1', '--token=t1', '--password', 'p', '--out', 'x']),
    ).toBe('audit-ledger export --api-key *** --token=*** --password *** --out x');
  });

  it('leaves out passwords in URLs', () => {
    expect(recordedCommandLine(['verify', '--db=postgres://u:pw@h/db'])).toBe(
      "audit-ledger verify '--db=postgres://u:***@h/db'",
    );
    expect(redactUrls('redis://:pw@h:6379 and postgres://u@h/db')).toBe(
      'redis://:***@h:6379 and postgres://u@h/db',
    );
  });
});

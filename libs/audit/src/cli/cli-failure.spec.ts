import { InvalidAuditOptionsError } from '../errors/invalid-audit-options.error';
import { KeyProviderError } from '../errors/key-provider.error';
import { LogIntegrityError } from '../errors/log-integrity.error';
import { WitnessConflictError } from '../errors/witness-conflict.error';
import { cliFailure } from './cli-failure';
import { CliError } from './cli.error';
import { EXIT } from './exit-codes';

const withCode = (message: string, code: string, extra: object = {}) =>
  Object.assign(new Error(message), { code, ...extra });

describe('cliFailure: what a command threw, as exit code and one-line reason', () => {
  it('takes a CliError as it is', () => {
    expect(cliFailure(CliError.refused('not now'))).toEqual({
      exitCode: EXIT.REFUSED,
      code: 'AUDIT_CLI_REFUSED',
      message: 'not now',
    });
  });

  it('maps the typed library errors', () => {
    expect(cliFailure(new KeyProviderError('no key')).exitCode).toBe(EXIT.CONFIG);
    expect(cliFailure(new InvalidAuditOptionsError(['logOrigin must be non-empty'])).exitCode).toBe(
      EXIT.CONFIG,
    );
    expect(cliFailure(new LogIntegrityError('rolled back'))).toEqual({
      exitCode: EXIT.FAILED,
      code: 'AUDIT_LOG_INTEGRITY',
      message: 'rolled back',
    });
    expect(cliFailure(new WitnessConflictError('raced')).exitCode).toBe(EXIT.INTERNAL);
  });

  it('maps connection, database-setup and file problems to 4, looking through causes and aggregates', () => {
    const refused = new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], '');
    expect(cliFailure(refused)).toMatchObject({
      exitCode: EXIT.CONFIG,
      message: expect.stringContaining('ECONNREFUSED'),
    });
    expect(cliFailure(withCode('relation "audit.log_head" does not exist', '42P01')).exitCode).toBe(
      EXIT.CONFIG,
    );
    expect(cliFailure(withCode('password authentication failed', '28P01')).exitCode).toBe(EXIT.CONFIG);
    expect(
      cliFailure(new Error('wrapped', { cause: withCode('x', 'EACCES', { path: '/keys' }) })),
    ).toMatchObject({
      exitCode: EXIT.CONFIG,
      message: 'cannot use /keys (EACCES): wrapped',
    });
  });

  it('anything else is an internal error, on one line', () => {
    expect(cliFailure(new TypeError('x is\nnot a function'))).toEqual({
      exitCode: EXIT.INTERNAL,
      code: 'AUDIT_CLI_INTERNAL',
      message: 'x is not a function',
    });
    expect(cliFailure(withCode('duplicate key', '23505')).exitCode).toBe(EXIT.INTERNAL);
  });
});

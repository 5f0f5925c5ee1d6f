import { ForbiddenException, NotFoundException } from '@nestjs/common';
import { GraphQLError } from 'graphql';
import { auditErrorFormatter } from './audit-error-formatter';

/** A resolver error as Apollo hands it to formatError: located, the original inside. */
const located = (original: Error) =>
  new GraphQLError(original.message, { path: ['q'], originalError: original });

describe('auditErrorFormatter', () => {
  const logged: unknown[] = [];
  const format = auditErrorFormatter({ logger: { error: (entry: unknown) => logged.push(entry) } });

  beforeEach(() => (logged.length = 0));

  it('masks an internal error, logs it once by errorId without its message', () => {
    const driver = Object.assign(new Error("insert into users values ('secret-value')"), {
      name: 'CheckConstraintViolationException',
      sqlState: '23514',
    });
    const answer = format(
      {
        message: driver.message,
        path: ['q'],
        extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at x'] },
      },
      located(driver),
    );
    expect(answer).toEqual({
      message: 'Internal server error',
      path: ['q'],
      extensions: { code: 'INTERNAL_SERVER_ERROR', errorId: expect.any(String) },
    });
    expect(logged).toEqual([
      expect.objectContaining({ errorId: answer.extensions!.errorId, sqlState: '23514' }),
    ]);
    expect(JSON.stringify(logged)).not.toContain('secret-value');
  });

  it('keeps deliberate client errors, without schema hints or stack traces', () => {
    expect(
      format(
        {
          message: 'Cannot query field "x" on type "Query". Did you mean "y"?',
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED', stacktrace: [] },
        },
        new GraphQLError('x'),
      ),
    ).toEqual({
      message: 'Cannot query field "x" on type "Query".',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expect(
      format({ message: 'no', extensions: { code: 'FORBIDDEN' } }, located(new ForbiddenException('no'))),
    ).toEqual({
      message: 'no',
      extensions: { code: 'FORBIDDEN' },
    });
    // The Apollo driver names a 404 INTERNAL_SERVER_ERROR: it is a client error all the same.
    expect(
      format(
        { message: 'gone', extensions: { code: 'INTERNAL_SERVER_ERROR' } },
        located(new NotFoundException('gone')),
      ),
    ).toEqual({ message: 'gone', extensions: { code: 'NOT_FOUND' } });
    expect(logged).toEqual([]);
  });

  it('masks an error of a code it does not know, and one a client code of its own names', () => {
    expect(format({ message: 'x', extensions: { code: 'AUDIT_WRITE_FAILED' } }, new Error('x')).message).toBe(
      'Internal server error',
    );
    const custom = auditErrorFormatter({
      clientCodes: ['TOO_MANY_REQUESTS'],
      logger: { error: () => undefined },
    });
    expect(
      custom({ message: 'slow down', extensions: { code: 'TOO_MANY_REQUESTS' } }, new Error('x')).message,
    ).toBe('slow down');
  });
});

import { InvalidQueryInputError } from '../errors/invalid-query-input.error';
import { EARLIEST_QUERY_DATE, LATEST_QUERY_DATE } from '../query/audit-query';

/** Longest string an audit query argument may hold (a cursor is under 100 characters). */
export const MAX_ARGUMENT_LENGTH = 512;
/** Most members of a list argument (`actions`, `groupBy`). */
export const MAX_LIST_LENGTH = 100;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Refuses, with a BAD_USER_INPUT naming the argument, what PostgreSQL cannot store or compare
 * and what no honest query needs: a NUL character (text cannot hold it), a lone UTF-16 surrogate
 * (not Unicode), a string over MAX_ARGUMENT_LENGTH, a list over MAX_LIST_LENGTH, an invalid
 * date-time or one outside [EARLIEST_QUERY_DATE, LATEST_QUERY_DATE]. Walks input objects and lists.
 */
export function checkQueryArguments(args: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(args)) check(value, name);
}

function check(value: unknown, argument: string): void {
  const refuse = (why: string) => {
    throw new InvalidQueryInputError(`${argument} ${why}.`, argument);
  };
  if (typeof value === 'string') {
    if (value.length > MAX_ARGUMENT_LENGTH) refuse(`is longer than ${MAX_ARGUMENT_LENGTH} characters`);
    if (value.includes('\u0000')) refuse('contains a NUL character');
    if (LONE_SURROGATE.test(value)) refuse('contains a lone UTF-16 surrogate');
  } else if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) refuse('is not an ISO-8601 date-time');
    if (value < EARLIEST_QUERY_DATE || value > LATEST_QUERY_DATE)
      refuse(`must be between ${EARLIEST_QUERY_DATE.toISOString()} and ${LATEST_QUERY_DATE.toISOString()}`);
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) refuse('is not an integer');
  } else if (Array.isArray(value)) {
    if (value.length > MAX_LIST_LENGTH) refuse(`has more than ${MAX_LIST_LENGTH} members`);
    for (const member of value) check(member, argument);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, member] of Object.entries(value)) check(member, `${argument}.${key}`);
  }
}

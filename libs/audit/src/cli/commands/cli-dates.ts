import { CliError } from '../cli.error';

/** An ISO-8601 date (or date-time) argument, normalised; a usage error otherwise. */
export function isoDate(value: string, option: string): string {
  const date = /^\d{4}-\d{2}-\d{2}/.test(value) ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime()))
    throw CliError.usage(`${option} must be an ISO-8601 date (got "${value}")`);
  return date.toISOString();
}

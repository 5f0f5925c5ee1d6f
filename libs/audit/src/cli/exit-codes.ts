/**
 * The exit codes of `audit-ledger`, one table for the code, `--help` and the README. Scripts may
 * rely on them: they never change meaning.
 */
export const EXIT = {
  /** The command did what it was asked; `verify`: the log verified. */
  OK: 0,
  /** Verification failed or an integrity problem was found (the output names it). */
  FAILED: 1,
  /** Bad command line: unknown command or option, missing or malformed argument. */
  USAGE: 2,
  /** Refused: the state or the policy does not allow it (e.g. retiring a key that is not active). */
  REFUSED: 3,
  /** Configuration or connection problem: database or Redis unreachable, schema missing, keys unavailable. */
  CONFIG: 4,
  /** Internal error: a bug, or a failure the CLI did not expect (the message says what). */
  INTERNAL: 70,
} as const;

/** One of the documented exit codes. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit-code table as `--help` prints it. */
export const EXIT_CODE_HELP = [
  'Exit codes:',
  `  ${EXIT.OK}   ok`,
  `  ${EXIT.FAILED}   verification failed / integrity problem found`,
  `  ${EXIT.USAGE}   usage error (bad command, option or argument)`,
  `  ${EXIT.REFUSED}   refused by state or policy`,
  `  ${EXIT.CONFIG}   configuration or connection error (database, Redis, keys, witness)`,
  `  ${EXIT.INTERNAL}  internal error`,
].join('\n');

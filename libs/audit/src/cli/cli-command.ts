import type { Command } from 'commander';
import type { CliRuntime } from './cli-runtime';

/**
 * One top-level command of `audit-ledger` (and its subcommands): adds itself to the program,
 * with `cli.action(…)` as every action. A command file exports one; `CLI_COMMANDS` lists them.
 */
export type CliCommand = (program: Command, cli: CliRuntime) => void;

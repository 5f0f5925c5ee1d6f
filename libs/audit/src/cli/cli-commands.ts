import type { CliCommand } from './cli-command';
import { checkpointCommand } from './commands/checkpoint.command';
import { keysCommand } from './commands/keys.command';
import { verifyCommand } from './commands/verify.command';

/** Every top-level command of `audit-ledger`, in `--help` order. A new command: a file in commands/ and a line here. */
export const CLI_COMMANDS: CliCommand[] = [verifyCommand, keysCommand, checkpointCommand];

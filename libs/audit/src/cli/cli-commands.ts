import type { CliCommand } from './cli-command';
import { archiveCommand } from './commands/archive.command';
import { checkpointCommand } from './commands/checkpoint.command';
import { eraseSubjectCommand } from './commands/erase-subject.command';
import { exportCommand } from './commands/export.command';
import { keysCommand } from './commands/keys.command';
import { retentionCommand } from './commands/retention.command';
import { verifyCommand } from './commands/verify.command';

/** Every top-level command of `audit-ledger`, in `--help` order. A new command: a file in commands/ and a line here. */
export const CLI_COMMANDS: CliCommand[] = [
  verifyCommand,
  exportCommand,
  keysCommand,
  checkpointCommand,
  archiveCommand,
  retentionCommand,
  eraseSubjectCommand,
];

#!/usr/bin/env node
import 'reflect-metadata';
import { runCli } from './run-cli';

// A reader that stops early (`| head`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

// `audit-ledger <command>`: see run-cli.ts. The exit code is set and the process left to end on
// its own (so that stdout is flushed); the unref'd timer only ends it if a handle lingers.
void runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 2000).unref();
});

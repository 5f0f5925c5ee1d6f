import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** The built CLI entry point (run `npm run build` first). */
export const CLI_MAIN = join(__dirname, '..', '..', 'libs', 'audit', 'dist', 'cli', 'main.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `audit-ledger <args>` as a child process with `env`; resolves when it exits. */
export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return runNode([CLI_MAIN, ...args], { env });
}

/** `node <args>` as a child process; resolves when it exits (killed after `timeoutMs`, when given). */
export function runNode(
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number },
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: options.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs with --json and parses its one document. */
export async function runCliJson<T = any>(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<CliRun & { doc: T }> {
  const run = await runCli(['--json', ...args], env);
  let doc: T;
  try {
    doc = JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
  return { ...run, doc };
}

import { randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import type { Command } from 'commander';
import type { JsonObject } from '../events/audit-event';
import type { CliEnvironment } from './cli-environment';
import { CliOutput, type CliStreams } from './cli-output';
import { recordedCommandLine } from './command-line';
import { EXIT, type ExitCode } from './exit-codes';

const CLOSE_TIMEOUT_MS = 10_000;

/** What a command's handler works with. */
export interface CommandContext {
  output: CliOutput;
  env: CliEnvironment;
  /**
   * The Nest application over the store (AuditModule without worker or API), built and checked
   * on the first call. A command that needs no database (offline verification) never calls it,
   * so it never connects.
   */
  app(): Promise<INestApplicationContext>;
  /**
   * Runs `fn` as the operator: the audit events it records name the operator (a SYSTEM actor,
   * `operator:<name>`) and carry this run's correlation id as their request id.
   */
  asOperator<T>(fn: () => Promise<T>): Promise<T>;
  /** What the events a command records carry in their metadata: `{ operator, command }` (no secrets). */
  readonly operatorDetails: JsonObject;
}

/** A command's action: returns its exit code (default 0) or throws (mapped by `cliFailure`). */
export type CommandHandler<A extends unknown[]> = (
  ctx: CommandContext,
  ...args: A
) => Promise<ExitCode | void>;

/**
 * One run of the CLI: parses nothing itself (commander does), but gives each action its
 * context, builds the Nest application only when asked, turns the outcome into the exit code
 * and closes everything it opened.
 */
export class CliRuntime {
  /** The exit code of the action that ran. */
  exitCode: ExitCode = EXIT.OK;
  /** Whether `--json` was given to the action that ran (errors are then a JSON document too). */
  json = false;
  private appContext?: Promise<INestApplicationContext>;
  private readonly runId = `cli-${randomUUID()}`;

  constructor(
    private readonly args: string[],
    private readonly env: CliEnvironment,
    private readonly streams: CliStreams,
  ) {}

  /** Wraps a handler as a commander action (commander passes the arguments, the options, then the command). */
  action<A extends unknown[]>(handler: CommandHandler<A>): (...args: unknown[]) => Promise<void> {
    return async (...args) => {
      const command = args[args.length - 1] as Command;
      const globals = command.optsWithGlobals<{ json?: boolean; verbose?: boolean }>();
      this.json = globals.json === true;
      const ctx = this.context(new CliOutput(this.json, this.streams), globals.verbose === true);
      this.exitCode = (await handler(ctx, ...(args.slice(0, -1) as A))) ?? EXIT.OK;
    };
  }

  /** Closes the application, if one was built; gives up after 10 s (an unreachable Redis must not hang the CLI). */
  async close(): Promise<void> {
    const app = await this.appContext?.catch(() => null);
    if (!app) return;
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)));
    await Promise.race([app.close().catch(() => undefined), limit]);
    clearTimeout(timer);
  }

  private context(output: CliOutput, verbose: boolean): CommandContext {
    const app = () =>
      (this.appContext ??= import('./cli-app.js').then(({ createCliApp }) =>
        createCliApp(this.env, this.streams.stderr, verbose),
      ));
    return {
      output,
      env: this.env,
      app,
      asOperator: async (fn) => {
        const { runAsOperator } = await import('./cli-app.js');
        return runAsOperator(await app(), this.runId, fn);
      },
      operatorDetails: { operator: this.env.operator, command: recordedCommandLine(this.args) },
    };
  }
}

import { MikroORM } from '@mikro-orm/core';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuditContextService } from '../context/audit-context.service';
import { cliFailure } from './cli-failure';
import { CliError } from './cli.error';
import type { CliEnvironment } from './cli-environment';
import { CliLogger } from './cli-logger';
import { CliModule } from './cli.module';
import { redactUrls } from './command-line';
import { sqlOf } from '../storage/sql-session';
import { probeLogHead } from '../storage/status.store';

/**
 * Builds the CLI's Nest application (CliModule) and checks at once that the store answers.
 * Loaded only when a command needs it: Nest, MikroORM and BullMQ take seconds to load, `--help`
 * should not wait for them.
 */
export async function createCliApp(
  env: CliEnvironment,
  stderr: NodeJS.WritableStream,
  verbose: boolean,
): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(CliModule.forRoot(env), {
    logger: new CliLogger(stderr, verbose),
    abortOnError: false,
  });
  try {
    // NOTE: MikroORM does not fail when the database is unreachable, the first query does:
    // ask at once, and name the URL (without its password) in the error.
    await probeLogHead(sqlOf(app.get(MikroORM)));
  } catch (error) {
    await app.close().catch(() => undefined);
    throw CliError.config(
      `the audit store at ${redactUrls(env.databaseUrl)} is not usable: ${cliFailure(error).message} ` +
        '(set AUDIT_DATABASE_URL or DATABASE_URL, and run the audit migrations)',
    );
  }
  return app;
}

/** Runs `fn` in the operator's audit context: the SYSTEM actor CliModule configures, this run's correlation id. */
export function runAsOperator<T>(
  app: INestApplicationContext,
  runId: string,
  fn: () => Promise<T>,
): Promise<T> {
  const context = app.get(AuditContextService);
  const system = context.system();
  return context.run({ ...system, source: { ...system.source, requestId: runId } }, fn);
}

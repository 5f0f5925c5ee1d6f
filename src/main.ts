import 'reflect-metadata';
import type { INestApplication, NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { loadAppConfig } from './config/app-config';

/** The example app, ready to listen: schema migrated, demo users seeded, worker started. */
export async function createApp(options?: NestApplicationOptions): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule, { bufferLogs: true, ...options });
  app.useLogger(app.get(Logger));
  // NOTE: exit rather than re-raise the signal: pino writes stdout asynchronously and flushes on
  // 'exit', which a process killed by its own signal never emits (the last lines, the shutdown's
  // own, were lost).
  app.enableShutdownHooks(undefined, { useProcessExit: true });
  return app;
}

async function main(): Promise<void> {
  const app = await createApp();
  const { port } = loadAppConfig();
  await app.listen(port, '0.0.0.0');
  console.log(`Audit Ledger example listening on http://localhost:${port}/graphql`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}

import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { WorkerModule } from './worker.module';

/** `npm run worker`: a sealing worker process. Any number may run at once, on any host. */
async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(WorkerModule, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  // NOTE: exit rather than re-raise the signal: pino writes stdout asynchronously and flushes on
  // 'exit', which a process killed by its own signal never emits (the last lines, the shutdown's
  // own, were lost).
  app.enableShutdownHooks(undefined, { useProcessExit: true });
  console.log('Audit Ledger sealing worker started');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

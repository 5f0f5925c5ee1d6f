import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { WorkerModule } from './worker.module';
import { enableShutdownHooks } from './logging/shutdown-hooks';

/** `npm run worker`: a sealing worker process. Any number may run at once, on any host. */
async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(WorkerModule, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  enableShutdownHooks(app);
  console.log('Audit Ledger sealing worker started');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

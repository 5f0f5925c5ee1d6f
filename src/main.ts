import 'reflect-metadata';
import type { INestApplication, NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { loadAppConfig } from './config/app-config';
import { enableShutdownHooks } from './logging/shutdown-hooks';

/** The example app, ready to listen: schema migrated, demo users seeded, worker started. */
export async function createApp(options?: NestApplicationOptions): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule, { bufferLogs: true, ...options });
  app.useLogger(app.get(Logger));
  enableShutdownHooks(app);
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

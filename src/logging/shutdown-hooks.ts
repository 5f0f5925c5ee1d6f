import type { INestApplicationContext } from '@nestjs/common';

/**
 * Nest's shutdown hooks (SIGTERM drains), ending with `process.exit`. NOTE: not by re-raising the
 * signal, Nest's default: pino writes stdout asynchronously and flushes on 'exit', which a process
 * killed by its own signal never emits, so the shutdown's own log lines were lost.
 */
export function enableShutdownHooks(app: INestApplicationContext): void {
  app.enableShutdownHooks(undefined, { useProcessExit: true });
}

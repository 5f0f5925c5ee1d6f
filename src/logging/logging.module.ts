import { Module } from '@nestjs/common';
import { requestIdResolver } from 'audit-ledger';
import { LoggerModule } from 'nestjs-pino';
import { trustProxyFromEnv } from '../audit-options.factory';

/** Headers whose values must never reach a log line. */
const SECRET_HEADERS = ['authorization', 'cookie', 'x-api-key'];

/**
 * Structured JSON logs (pino): one line per record, every line of a request carrying its `reqId`,
 * the same id the audit events of that request record (`source.requestId`) and the
 * `x-request-id` response header. Bodies are never logged and credentials are redacted, so no
 * payload value or secret leaves through the logs. LOG_LEVEL: pino level (default `info`).
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      useFactory: () => {
        const requestIdOf = requestIdResolver(trustProxyFromEnv());
        return {
          pinoHttp: {
            level: process.env.LOG_LEVEL ?? 'info',
            // The id the audit library would give the request, by its rule: a well-formed X-Request-ID
            // from a trusted proxy (TRUST_PROXY), else a UUID v7. The library keeps `req.id`, so logs
            // and audit events share it.
            genReqId: (req) => requestIdOf(req),
            redact: {
              paths: [...SECRET_HEADERS.map((h) => `req.headers["${h}"]`), 'res.headers["set-cookie"]'],
              censor: '[REDACTED]',
            },
            // Probes and scrapes every few seconds would drown the request log.
            autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/metrics' },
          },
        };
      },
    }),
  ],
})
export class LoggingModule {}

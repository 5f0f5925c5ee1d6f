import { Catch, HttpException, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { CLIENT_ERROR_CODES, INTERNAL_ERROR_MESSAGE, reportInternalError } from 'audit-ledger';

/** What the filter uses of an Express response. */
interface JsonResponse {
  status(code: number): { json(body: unknown): unknown };
}

/**
 * The app's last exception filter. REST: an HTTP exception other than a 500 (a 4xx, the health
 * check's 503), a 500 whose body names a client code (`CLIENT_ERROR_CODES`, e.g. a tampered
 * trail's), or a 4xx of the body parser
 * (malformed JSON, payload too large) is answered as Nest would;
 * anything else as `{ statusCode: 500, message: 'Internal server error', errorId }`, logged once
 * under that id without its message's values (a database error's message is the SQL with them).
 * GraphQL: the error is passed on untouched for `auditErrorFormatter` to answer and log, so Nest
 * does not log it a second time, message and all.
 */
@Catch()
export class InternalErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): unknown {
    if (host.getType() !== 'http') return exception;
    const res = host.switchToHttp().getResponse<JsonResponse>();
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const code = typeof body === 'object' ? (body as { code?: unknown }).code : undefined;
      // NOTE: only a bare 500 is masked: any other status is a deliberate answer (terminus'
      // 503 with the health report, a 429), its body written by the code that threw it.
      const deliberate = status !== Number(HttpStatus.INTERNAL_SERVER_ERROR);
      if (deliberate || (typeof code === 'string' && CLIENT_ERROR_CODES.includes(code))) {
        res.status(status).json(typeof body === 'string' ? { statusCode: status, message: body } : body);
        return undefined;
      }
    }
    // NOTE: body-parser's errors (malformed JSON, 413) mark their 4xx messages as safe to expose.
    const { expose, statusCode, message } = (exception ?? {}) as {
      expose?: unknown;
      statusCode?: unknown;
      message?: unknown;
    };
    if (expose === true && typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
      res.status(statusCode).json({ statusCode, message });
      return undefined;
    }
    const errorId = reportInternalError(exception);
    res.status(HttpStatus.INTERNAL_SERVER_ERROR).json({
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      message: INTERNAL_ERROR_MESSAGE,
      errorId,
    });
    return undefined;
  }
}

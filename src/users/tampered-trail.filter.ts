import { Catch, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { AuditChainTamperedError } from 'audit-ledger';

/**
 * Tampering is reported, never hidden: a trail that fails verification answers 500 with the
 * library's code and the first bad position, and nothing else (not the error's message, which names
 * the stored detail). NOTE: bind it to the routes that read trails (`@UseFilters`): it then answers
 * before the app's last-resort filter, which masks every 5xx.
 */
@Catch(AuditChainTamperedError)
export class TamperedTrailFilter implements ExceptionFilter<AuditChainTamperedError> {
  catch({ code, chainSeq, reason }: AuditChainTamperedError, host: ArgumentsHost): void {
    const status = HttpStatus.INTERNAL_SERVER_ERROR;
    host
      .switchToHttp()
      .getResponse<{ status(code: number): { json(body: unknown): void } }>()
      .status(status)
      .json({ statusCode: status, code, message: 'The audit trail failed verification', chainSeq, reason });
  }
}

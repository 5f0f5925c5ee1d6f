import { Controller, Get, Header } from '@nestjs/common';
import { AuditMetrics } from 'audit-ledger';

/** `GET /metrics`: the audit pipeline's Prometheus metrics (scraped from inside the network). */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: AuditMetrics) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}

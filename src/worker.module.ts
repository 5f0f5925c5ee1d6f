import { Module } from '@nestjs/common';
import { AuditModule } from 'audit-ledger';
import { auditOptions } from './audit-options.factory';
import { InfrastructureModule } from './infrastructure.module';

/** A sealing worker process: the infrastructure and the audit module, no HTTP. */
@Module({
  imports: [
    InfrastructureModule,
    AuditModule.forRootAsync({ useFactory: () => auditOptions({ inProcessWorker: true }) }),
  ],
})
export class WorkerModule {}

import { MikroOrmModule } from '@mikro-orm/nestjs';
import { BullModule } from '@nestjs/bullmq';
import {
  Inject,
  Logger,
  Module,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestModule,
  type OnModuleInit,
} from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { ClsModule } from 'nestjs-cls';
import { AuditableExplorer } from './aop/auditable.explorer';
import { AuditedCallRunner } from './aop/audited-call.runner';
import { AUDIT_OPTIONS, AUDIT_QUEUE } from './audit.constants';
import type { ResolvedAuditOptions } from './audit-options.interface';
import { AUDIT_MODULE_OPTIONS, AUDIT_OPTIONS_TYPE, AuditConfigurableModule } from './audit.module-definition';
import { resolveAuditOptions } from './audit-options';
import { AuditService } from './audit.service';
import { AuditQueryService } from './query/audit-query.service';
import { AuditRevertService } from './revert/audit-revert.service';
import { AuditContextMiddleware } from './context/audit-context.middleware';
import { AuditContextService } from './context/audit-context.service';
import { CaptureContextSubscriber } from './context/capture-context.subscriber';
import { CapturedTables } from './capture/captured-tables.registry';
import { AuditEventFactory } from './events/audit-event.factory';
import { AuditExporter } from './export/audit.exporter';
import { AuditArchiver } from './archive/audit-archiver.service';
import { RetentionPolicy } from './archive/retention-policy.service';
import { StoreEventRecorder } from './outbox/store-event.recorder';
import { AuditForwarder } from './forwarding/audit.forwarder';
import { ForwardCursors } from './forwarding/forward-cursors.service';
import { AuditHealthIndicator } from './health/audit-health.indicator';
import { AuditGauges, AuditMetrics } from './metrics/audit-metrics.service';
import { AfterCommitPublisher } from './outbox/after-commit.publisher';
import { AuditDeadLetters } from './outbox/audit-dead-letters.service';
import { AuditQueueProducer } from './outbox/audit-queue.producer';
import { OutboxWriter } from './outbox/outbox.writer';
import { KeyRegistry } from './keys/key-registry.service';
import { AuditSubjectErasure } from './personal-data/audit-subject-erasure.service';
import { PersonalDataProtector } from './personal-data/personal-data.protector';
import { PersonalDataReader } from './personal-data/personal-data.reader';
import { SubjectKeys } from './personal-data/subject-keys.service';
import { Checkpointer } from './sealing/checkpointer.service';
import { EventSealer } from './sealing/event.sealer';
import { OutboxRelay } from './outbox/outbox.relay';
import { RequestAuditMiddleware } from './request/request-audit.middleware';
import { AuditViewerMiddleware } from './viewer/audit-viewer.middleware';
import { RequestAuditRecorder } from './request/request-audit.recorder';
import { PartitionUpkeep } from './sealing/partition-upkeep.service';
import { SealingWorker } from './sealing/sealing.worker';
import { AUDIT_ENTITIES } from './storage/audit-entities';
import { LogVerifier } from './verification/log.verifier';
import { TrailVerifier } from './verification/trail.verifier';
import { EventHashPool } from './verification/event-hash.pool';

/**
 * The audit trail for a Nest app. The app owns the roots this module builds on (STYLE.md §8):
 * `MikroOrmModule.forRoot` (PostgreSQL, with AUDIT_MIGRATIONS), `BullModule.forRoot` (Redis).
 * This module registers its entities, its queue and its request-context middleware itself.
 */
@Module({
  imports: [
    DiscoveryModule,
    ClsModule.forFeature(),
    MikroOrmModule.forFeature(AUDIT_ENTITIES),
    BullModule.registerQueue({ name: AUDIT_QUEUE }),
    TerminusModule,
  ],
  providers: [
    { provide: AUDIT_OPTIONS, useFactory: resolveAuditOptions, inject: [AUDIT_MODULE_OPTIONS] },
    AuditContextService,
    CapturedTables,
    CaptureContextSubscriber,
    AuditEventFactory,
    AuditQueueProducer,
    AfterCommitPublisher,
    OutboxWriter,
    AuditDeadLetters,
    AuditedCallRunner,
    AuditableExplorer,
    KeyRegistry,
    EventSealer,
    Checkpointer,
    OutboxRelay,
    PartitionUpkeep,
    SealingWorker,
    ForwardCursors,
    AuditForwarder,
    TrailVerifier,
    LogVerifier,
    EventHashPool,
    AuditService,
    AuditExporter,
    StoreEventRecorder,
    RetentionPolicy,
    AuditArchiver,
    AuditHealthIndicator,
    AuditMetrics,
    AuditGauges,
    SubjectKeys,
    PersonalDataProtector,
    PersonalDataReader,
    AuditSubjectErasure,
    RequestAuditRecorder,
    AuditQueryService,
    AuditRevertService,
  ],
  exports: [
    CapturedTables,
    AuditSubjectErasure,
    PersonalDataReader,
    AuditDeadLetters,
    AuditExporter,
    AuditArchiver,
    RetentionPolicy,
    StoreEventRecorder,
    AuditHealthIndicator,
    AuditMetrics,
    AuditService,
    AuditContextService,
    EventSealer,
    Checkpointer,
    OutboxRelay,
    KeyRegistry,
    LogVerifier,
    ForwardCursors,
    AuditQueryService,
    AuditRevertService,
  ],
})
export class AuditModule extends AuditConfigurableModule implements NestModule, OnModuleInit {
  constructor(
    private readonly explorer: AuditableExplorer,
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
  ) {
    super();
  }

  onModuleInit(): void {
    const defaults = this.options.workingDirectoryDefaults;
    if (defaults.length === 0) return;
    // NOTE: said once at startup, so that files appearing in the working directory are no surprise.
    new Logger('AuditModule').log(
      `Using the development defaults ${defaults.join(', ')} under ${process.cwd()}: add .audit/ to ` +
        '.gitignore; in production set these options (auditOptionsFromEnv: AUDIT_SIGNING_KEY or AUDIT_KEY_DIR, AUDIT_WITNESS_DIR).',
    );
  }

  /** Validates the options at once, before any provider connects anywhere (forRootAsync: when they resolve). */
  static override forRoot(options: typeof AUDIT_OPTIONS_TYPE = {}): DynamicModule {
    resolveAuditOptions(options);
    return super.forRoot(options);
  }

  configure(consumer: MiddlewareConsumer): void {
    // NOTE: Nest binds controller handlers before onModuleInit; this phase runs earlier, so
    // @Auditable controller and resolver methods are wrapped before anything captures them.
    this.explorer.explore();
    // Express 5 mounts a '/' middleware on every path, GraphQL's included (as nestjs-cls does).
    // Request-level audit runs inside the context the first one opens.
    const requestAudit = this.options.requestAudit.enabled ? [RequestAuditMiddleware] : [];
    // NOTE: the viewer's static files first: they carry no data, so their requests are not
    // request-audited; every query the viewer then makes is audited as any other.
    if (this.options.viewer) consumer.apply(AuditViewerMiddleware).forRoutes('/');
    consumer.apply(AuditContextMiddleware, ...requestAudit).forRoutes('/');
  }
}

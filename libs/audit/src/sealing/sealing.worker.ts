import { InjectQueue } from '@nestjs/bullmq';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Queue, Worker } from 'bullmq';
import { AUDIT_OPTIONS, AUDIT_QUEUE } from '../audit.constants';
import type { ResolvedAuditOptions } from '../audit-options.interface';
import type { SealJob } from '../outbox/seal-job';
import { EventSealer } from './event-sealer';
import { OutboxRelay } from './outbox.relay';

/**
 * The sealing worker: consumes the audit queue and runs the outbox relay. Started only where
 * `inProcessWorker` is true. Built with bullmq's Worker directly rather than an @Processor class,
 * because whether it runs is an option decided at bootstrap, not a static decorator.
 */
@Injectable()
export class SealingWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SealingWorker.name);
  private worker?: Worker<SealJob, number>;

  constructor(
    @InjectQueue(AUDIT_QUEUE) private readonly queue: Queue<SealJob>,
    private readonly sealer: EventSealer,
    private readonly relay: OutboxRelay,
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.options.inProcessWorker) return;
    this.worker = new Worker<SealJob, number>(
      AUDIT_QUEUE,
      (job) => this.sealer.sealEntity(job.data.entityType, job.data.entityId),
      {
        connection: this.queue.opts.connection,
        prefix: this.queue.opts.prefix,
        concurrency: this.options.workerConcurrency,
      },
    );
    this.worker.on('failed', (job, error) =>
      this.logger.error(`Sealing job ${job?.id} failed (attempt ${job?.attemptsMade}): ${error.message}`),
    );
    this.worker.on('error', (error) => this.logger.error(`Sealing worker error: ${error.message}`));
    this.relay.start();
  }

  /** Lets in-flight jobs finish (a sealing transaction is never cut in half), then stops. */
  async onApplicationShutdown(): Promise<void> {
    if (!this.worker) return;
    this.relay.stop();
    await this.worker.close();
    this.logger.log('Sealing worker stopped: in-flight jobs finished');
  }
}

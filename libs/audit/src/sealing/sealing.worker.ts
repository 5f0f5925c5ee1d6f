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
import { AuditForwarder } from '../forwarding/audit.forwarder';
import type { SealJob } from '../outbox/seal-job';
import { KeyRegistry } from '../keys/key-registry.service';
import { AuditMetrics } from '../metrics/audit-metrics.service';
import { Checkpointer } from './checkpointer.service';
import { EventSealer } from './event.sealer';
import { OutboxRelay } from '../outbox/outbox.relay';
import { PartitionUpkeep } from './partition-upkeep.service';

/**
 * The sealing worker: consumes the audit queue and runs the outbox relay, the checkpoint
 * schedule, key rotation, the upkeep of the monthly partitions and the forwarding to sinks. Started only where
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
    private readonly keys: KeyRegistry,
    private readonly checkpointer: Checkpointer,
    private readonly partitions: PartitionUpkeep,
    private readonly metrics: AuditMetrics,
    private readonly forwarder: AuditForwarder,
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
  ) {}

  /** Activates a signing key (creating or rotating it as due) before consuming any job. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.options.inProcessWorker) return;
    await this.partitions.ensure();
    await this.keys.ensureActiveKey();
    await this.checkpointer.refreshWitnessedSize();
    await this.forwarder.start();
    this.worker = new Worker<SealJob, number>(
      AUDIT_QUEUE,
      async (job) => {
        const { sealed } = await this.sealer.sealJob(job.data.events, job.data.sweep);
        // Committed: the sinks need not wait for their next poll.
        if (sealed > 0) this.forwarder.trigger();
        return sealed;
      },
      {
        connection: this.queue.opts.connection,
        prefix: this.queue.opts.prefix,
        concurrency: this.options.workerConcurrency,
        // A killed worker's jobs stall; another worker takes them over once the lock lapses.
        lockDuration: this.options.jobLockMs,
        stalledInterval: this.options.jobLockMs,
        // Sealing is idempotent, so a job whose workers keep dying may run again as often as a failing one.
        maxStalledCount: this.options.jobAttempts,
      },
    );
    this.worker.on('failed', (job, error) => {
      this.metrics.sealingFailures.inc();
      this.logger.error(`Sealing job ${job?.id} failed (attempt ${job?.attemptsMade}): ${error.message}`);
    });
    this.worker.on('error', (error) => this.logger.error(`Sealing worker error: ${error.message}`));
    this.relay.start();
    this.partitions.start();
    this.checkpointer.start();
    this.checkpointer.trigger('INTERVAL');
  }

  /** Lets in-flight jobs finish (a sealing transaction is never cut in half), then stops. */
  async onApplicationShutdown(): Promise<void> {
    if (!this.worker) return;
    await this.relay.stop();
    await this.partitions.stop();
    await this.worker.close();
    await this.forwarder.stop();
    await this.checkpointer.stop();
    this.logger.log('Sealing worker stopped: in-flight jobs finished');
  }
}

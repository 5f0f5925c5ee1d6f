import { MikroORM } from '@mikro-orm/core';
import { Injectable, Logger } from '@nestjs/common';
import { InjectAuditStore } from '../storage/audit-store';
import { PeriodicPass } from './periodic-pass';
import { ensureEventPartitions } from '../storage/partition.store';
import { sqlOf } from '../storage/sql-session';

/** Months of `audit.events` partitions kept ready beyond the current one. */
const MONTHS_AHEAD = 3;
const EVERY_MS = 6 * 60 * 60 * 1000;

/**
 * Keeps the monthly partitions of `audit.events` ahead of time (worker processes: at start and
 * every 6 hours), so sealed rows never fall into the default partition.
 */
@Injectable()
export class PartitionUpkeep {
  private readonly logger = new Logger(PartitionUpkeep.name);
  private readonly schedule = new PeriodicPass<void>('Partition upkeep', this.logger, () => this.ensure());

  constructor(@InjectAuditStore() private readonly store: MikroORM) {}

  /** Creates this month's partition and the next three where missing; returns how many it created. */
  async ensure(): Promise<number> {
    const created = await ensureEventPartitions(sqlOf(this.store), MONTHS_AHEAD);
    if (created > 0) this.logger.log(`Created ${created} monthly partition(s) of audit.events`);
    return created;
  }

  start(): void {
    this.schedule.start(EVERY_MS, undefined);
  }

  stop(): Promise<void> {
    return this.schedule.stop();
  }
}

import { join } from 'node:path';
import { Entity, Property } from '@mikro-orm/decorators/legacy';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { EntityManager, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { BullModule } from '@nestjs/bullmq';
import { Injectable, Module, type DynamicModule } from '@nestjs/common';
import {
  AuditModule,
  Auditable,
  AuditedEntity,
  DirectoryArchiveSink,
  DirectoryKeyProvider,
  DirectoryWitness,
} from 'audit-ledger';
import { BenchUserColumns } from './write-path.app';

/** The bulk tables: the same user rows, one captured at the database (the other is the baseline). */
export const BULK_TABLES = { unaudited: 'bulk_users', captured: 'bulk_users_captured' } as const;

/** The bulk statement: one native UPDATE of every row of `table`. */
export const bulkUpdateSql = (table: string) => `update ${table} set login_count = login_count + 1`;

/** A user with a counter that bulk statements bump; its table is captured at the database. */
@AuditedEntity()
@Entity({ tableName: BULK_TABLES.captured })
export class BulkBenchUser extends BenchUserColumns {
  @Property({ type: 'integer' })
  loginCount!: number;
}

/** The bulk statement as an app runs it: one `@Auditable` operation over every row. */
@Injectable()
export class BulkUsersService {
  constructor(private readonly em: EntityManager) {}

  @Auditable({ entity: BulkBenchUser, action: 'COUNT_LOGIN', id: () => null })
  async countLogins(): Promise<void> {
    await this.em.execute(bulkUpdateSql(BULK_TABLES.captured), [], 'run');
  }
}

export interface BulkSealingAppConfig {
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  /** A directory of the run's own: signing keys, witness, archive. */
  dir: string;
  /** How long an outbox row waits before the relay re-enqueues it. */
  relayGraceMs: number;
}

/**
 * An app with its sealing worker in process (one worker, the library's default options), which
 * knows BulkBenchUser: a worker seals only the captured rows of entities it registers.
 */
@Module({})
export class BulkSealingModule {
  static forRoot(config: BulkSealingAppConfig): DynamicModule {
    return {
      module: BulkSealingModule,
      imports: [
        MikroOrmModule.forRoot({
          driver: PostgreSqlDriver,
          clientUrl: config.databaseUrl,
          entities: [BulkBenchUser],
          autoLoadEntities: true,
        }),
        BullModule.forRoot({ connection: { url: config.redisUrl }, prefix: config.queuePrefix }),
        AuditModule.forRoot({
          inProcessWorker: true,
          keyProvider: new DirectoryKeyProvider(join(config.dir, 'keys')),
          witness: new DirectoryWitness(join(config.dir, 'witness')),
          archiveSink: new DirectoryArchiveSink(join(config.dir, 'archive')),
          // NOTE: the relay (a safety net for lost enqueues) would add per-event jobs beside the
          // sweep once rows wait 10 s: the figure is the sweep's, one sealer.
          relay: { graceMs: config.relayGraceMs },
        }),
      ],
      providers: [BulkUsersService],
    };
  }
}

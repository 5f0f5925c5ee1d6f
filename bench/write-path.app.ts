import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { EntityManager, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { BullModule } from '@nestjs/bullmq';
import { Injectable, Module, type DynamicModule } from '@nestjs/common';
import { AuditModule, Auditable } from '../libs/audit/src';

/** The columns of every bench user table: what a typical user row holds. */
abstract class BenchUserColumns {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'text' })
  email!: string;

  @Property({ type: 'text' })
  username!: string;

  @Property({ type: 'text' })
  role!: string;

  @Property({ type: 'text', nullable: true })
  tenantId!: string | null;

  @Property({ type: 'Date', columnType: 'timestamptz(3)', onUpdate: () => new Date() })
  updatedAt!: Date;
}

/** Updated unaudited, and through `@Auditable`. */
@Entity({ tableName: 'bench_users' })
export class BenchUser extends BenchUserColumns {}

/** The same columns, audited by a classic row trigger (`BENCH_TABLES_SQL`). */
@Entity({ tableName: 'bench_users_triggered' })
export class TriggeredBenchUser extends BenchUserColumns {}

/** The same columns, through `@Auditable` with `email` declared personal data (encrypted before the outbox). */
@Entity({ tableName: 'bench_users_personal' })
export class PersonalBenchUser extends BenchUserColumns {}

type BenchUserClass = typeof BenchUser | typeof TriggeredBenchUser | typeof PersonalBenchUser;

export type BenchTable = 'bench_users' | 'bench_users_triggered' | 'bench_users_personal';

/** The tables of the entities above, filled with `rows[table]` rows each, and the trigger: what many teams use instead of an outbox. */
export function benchTablesSql(rows: Record<BenchTable, number>): string {
  return `
    ${Object.entries(rows)
      .map(
        ([t, n]) => `
    create table ${t} (id uuid primary key, email text not null, username text not null, role text not null,
      tenant_id text, updated_at timestamptz(3) not null);
    insert into ${t} select gen_random_uuid(), 'u' || i || '@bench.test', 'u' || i, 'user', 't' || (i % 3), now()
      from generate_series(1, ${n}) as i;`,
      )
      .join('')}
    create table bench_user_audit (id bigserial primary key, table_name text not null, operation text not null,
      row_id uuid not null, old_row jsonb, new_row jsonb, changed_by text not null default current_user,
      changed_at timestamptz not null default now());
    create function bench_user_audit() returns trigger language plpgsql as $$
    begin
      insert into bench_user_audit (table_name, operation, row_id, old_row, new_row)
        values (tg_table_name, tg_op, new.id, to_jsonb(old), to_jsonb(new));
      return new;
    end $$;
    create trigger bench_users_triggered_audit after update on bench_users_triggered
      for each row execute function bench_user_audit();
    analyze;`;
}

/** The measured method, three ways: load the user by id, change the email, flush, in a transaction of its own. */
@Injectable()
export class BenchUsersService {
  constructor(private readonly em: EntityManager) {}

  /** Unaudited. */
  changeEmail(id: string, email: string): Promise<void> {
    return this.em.transactional((em) => this.change(em, BenchUser, id, email));
  }

  /** Unaudited by the application; the table's trigger writes the audit row. */
  changeEmailTriggered(id: string, email: string): Promise<void> {
    return this.em.transactional((em) => this.change(em, TriggeredBenchUser, id, email));
  }

  /** Audited: the wrapper's transaction is the method's own. */
  @Auditable({ entity: BenchUser, action: 'UPDATE' })
  changeEmailAudited(id: string, email: string): Promise<void> {
    return this.change(this.em, BenchUser, id, email);
  }

  /** Audited, `email` encrypted under the user's key. */
  @Auditable({ entity: PersonalBenchUser, action: 'UPDATE' })
  changePersonalEmailAudited(id: string, email: string): Promise<void> {
    return this.change(this.em, PersonalBenchUser, id, email);
  }

  private async change(em: EntityManager, entity: BenchUserClass, id: string, email: string): Promise<void> {
    const user = await em.findOneOrFail(entity, id);
    user.email = email;
    await em.flush();
  }
}

export interface WritePathAppConfig {
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  /** Base64 of 32 bytes: the bench's own subject key-encryption key (personal data). */
  subjectKeyEncryptionKey: string;
}

/**
 * The bench application as a user would build it: the app owns MikroORM and BullMQ, AuditModule
 * with its default options, but no sealing worker in this process (the write path is measured).
 */
@Module({})
export class WritePathModule {
  static forRoot(config: WritePathAppConfig): DynamicModule {
    return {
      module: WritePathModule,
      imports: [
        MikroOrmModule.forRoot({
          driver: PostgreSqlDriver,
          clientUrl: config.databaseUrl,
          entities: [BenchUser, TriggeredBenchUser, PersonalBenchUser],
          autoLoadEntities: true,
        }),
        BullModule.forRoot({ connection: { url: config.redisUrl }, prefix: config.queuePrefix }),
        AuditModule.forRoot({
          inProcessWorker: false,
          personalData: { PersonalBenchUser: { fields: ['email'] } },
          subjectKeyEncryptionKey: config.subjectKeyEncryptionKey,
        }),
      ],
      providers: [BenchUsersService],
    };
  }
}

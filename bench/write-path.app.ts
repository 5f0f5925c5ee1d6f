import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { EntityManager, MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { BullModule } from '@nestjs/bullmq';
import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { AuditModule, Auditable, AuditedEntity, auditCaptureSql } from 'audit-ledger';

/** The columns of every bench user table: what a typical user row holds. */
export abstract class BenchUserColumns {
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

/** Updated unaudited, and through `@Auditable` (the unit-of-work path: the table is not captured). */
@Entity({ tableName: 'bench_users' })
export class BenchUser extends BenchUserColumns {}

/** The same columns, audited by a classic row trigger (`benchTablesSql`). */
@Entity({ tableName: 'bench_users_triggered' })
export class TriggeredBenchUser extends BenchUserColumns {}

/** The same columns, through `@Auditable` with `email` declared personal data (encrypted before the outbox). */
@Entity({ tableName: 'bench_users_personal' })
export class PersonalBenchUser extends BenchUserColumns {}

/** The same columns, captured at the database (the library's capture trigger, `benchTablesSql`). */
@AuditedEntity()
@Entity({ tableName: 'bench_users_captured' })
export class CapturedBenchUser extends BenchUserColumns {}

type BenchUserClass =
  typeof BenchUser | typeof TriggeredBenchUser | typeof PersonalBenchUser | typeof CapturedBenchUser;

export type BenchTable =
  'bench_users' | 'bench_users_triggered' | 'bench_users_personal' | 'bench_users_captured';

/** A table of `BenchUserColumns` (plus the `extra` column definitions, at their defaults) holding `rows` users. */
export function benchUserTableSql(table: string, rows: number, extra: string[] = []): string {
  return `
    create table ${table} (id uuid primary key, email text not null, username text not null, role text not null,
      tenant_id text, updated_at timestamptz(3) not null${extra.map((c) => `, ${c}`).join('')});
    insert into ${table} (id, email, username, role, tenant_id, updated_at)
      select gen_random_uuid(), 'u' || i || '@bench.test', 'u' || i, 'user', 't' || (i % 3), now()
      from generate_series(1, ${rows}) as i;`;
}

/**
 * The tables of the entities above, filled with `rows[table]` rows each; the classic trigger (what
 * many teams use instead of an outbox); the library's capture of `bench_users_captured`, as an
 * app's own migration installs it after the library's migrations.
 */
export function benchTablesSql(rows: Record<BenchTable, number>): string {
  return `
    ${Object.entries(rows)
      .map(([t, n]) => benchUserTableSql(t, n))
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
    ${auditCaptureSql({ entityType: CapturedBenchUser.name, table: 'bench_users_captured', key: ['id'] })
      .map((sql) => `${sql};`)
      .join('\n    ')}
    analyze;`;
}

/**
 * The bench's second MikroORM, on the same database with the same options but outside the Nest
 * app, so the audit library registers no subscriber on it: what an app without the library runs.
 */
export const PLAIN_ORM = Symbol('PLAIN_ORM');

/** The measured method, several ways: load the user by id, change the email, flush, in a transaction of its own. */
@Injectable()
export class BenchUsersService implements OnApplicationShutdown {
  constructor(
    private readonly em: EntityManager,
    @Inject(PLAIN_ORM) private readonly plain: MikroORM,
  ) {}

  // NOTE: once the database captures any table, the library sets `audit.ctx` at the start of every
  // transaction of the app's MikroORM (one more round trip), audited or not. The baseline and the
  // classic trigger must not pay that, so they run on PLAIN_ORM; `changeEmailInApp` shows the toll.

  /** Unaudited, and no audit library in the way: the baseline. */
  changeEmail(id: string, email: string): Promise<void> {
    return this.plain.em.transactional((em) => this.change(em, BenchUser, id, email));
  }

  /** Unaudited by the application; the table's trigger writes the audit row. */
  changeEmailTriggered(id: string, email: string): Promise<void> {
    return this.plain.em.transactional((em) => this.change(em, TriggeredBenchUser, id, email));
  }

  /** Unaudited, through the app's MikroORM: the transaction gets `audit.ctx` like every other there. */
  changeEmailInApp(id: string, email: string): Promise<void> {
    return this.em.transactional((em) => this.change(em, BenchUser, id, email));
  }

  /** Audited on the unit-of-work path: the wrapper's transaction is the method's own. */
  @Auditable({ entity: BenchUser, action: 'UPDATE' })
  changeEmailAudited(id: string, email: string): Promise<void> {
    return this.change(this.em, BenchUser, id, email);
  }

  /** Audited, `email` encrypted under the user's key. */
  @Auditable({ entity: PersonalBenchUser, action: 'UPDATE' })
  changePersonalEmailAudited(id: string, email: string): Promise<void> {
    return this.change(this.em, PersonalBenchUser, id, email);
  }

  /** Audited, the table captured: the call sets `audit.ctx`, the capture trigger writes the outbox row. */
  @Auditable({ entity: CapturedBenchUser, action: 'UPDATE' })
  changeCapturedEmailAudited(id: string, email: string): Promise<void> {
    return this.change(this.em, CapturedBenchUser, id, email);
  }

  onApplicationShutdown(): Promise<void> {
    return this.plain.close(true);
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

const BENCH_USER_ENTITIES = [BenchUser, TriggeredBenchUser, PersonalBenchUser, CapturedBenchUser];

/**
 * The bench application as a user would build it: the app owns MikroORM and BullMQ, AuditModule
 * with its default options, but no sealing worker in this process (the write path is measured).
 * Beside it, PLAIN_ORM for the unaudited baseline.
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
          entities: BENCH_USER_ENTITIES,
          autoLoadEntities: true,
        }),
        BullModule.forRoot({ connection: { url: config.redisUrl }, prefix: config.queuePrefix }),
        AuditModule.forRoot({
          inProcessWorker: false,
          personalData: { PersonalBenchUser: { fields: ['email'] } },
          subjectKeyEncryptionKey: config.subjectKeyEncryptionKey,
        }),
      ],
      providers: [
        {
          provide: PLAIN_ORM,
          useFactory: () =>
            MikroORM.init({
              driver: PostgreSqlDriver,
              clientUrl: config.databaseUrl,
              entities: BENCH_USER_ENTITIES,
            }),
        },
        BenchUsersService,
      ],
    };
  }
}

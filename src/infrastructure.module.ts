import { MikroOrmModule } from '@mikro-orm/nestjs';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { ConfigModule, type ConfigType } from '@nestjs/config';
import { appConfig } from './config/app-config.provider';
import { mikroOrmOptions } from './database/mikro-orm.options';
import { MigrationRunner } from './database/migration.runner';
import { LoggingModule } from './logging/logging.module';

/** The roots the app owns (logging, configuration, MikroORM, BullMQ), shared by the HTTP app and the worker. */
@Module({
  imports: [
    LoggingModule,
    ConfigModule.forRoot({ isGlobal: true, load: [appConfig], ignoreEnvFile: true }),
    MikroOrmModule.forRootAsync({
      inject: [appConfig.KEY],
      useFactory: (config: ConfigType<typeof appConfig>) => ({
        ...mikroOrmOptions(config.databaseUrl),
        autoLoadEntities: true,
      }),
      driver: PostgreSqlDriver,
    }),
    BullModule.forRootAsync({
      inject: [appConfig.KEY],
      useFactory: (config: ConfigType<typeof appConfig>) => ({
        connection: { url: config.redisUrl },
        prefix: config.queuePrefix,
      }),
    }),
  ],
  providers: [MigrationRunner],
})
export class InfrastructureModule {}

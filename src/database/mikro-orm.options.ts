import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { AUDIT_MIGRATIONS } from 'audit-ledger';
import { User } from '../users/user.entity';
import { Migration20261122000100Users } from './migrations/Migration20261122000100Users';
import { Migration20261202000100UsersActive } from './migrations/Migration20261202000100UsersActive';
import { Migration20261202000200UsersCapture } from './migrations/Migration20261202000200UsersCapture';
import { Migration20261202000300UsersCredentialsVersion } from './migrations/Migration20261202000300UsersCredentialsVersion';

/** MikroORM options of the example app: the library's migrations first, then the app's own. */
export function mikroOrmOptions(databaseUrl: string) {
  return defineConfig({
    driver: PostgreSqlDriver,
    clientUrl: databaseUrl,
    entities: [User],
    extensions: [Migrator],
    migrations: {
      // No schema snapshot file beside the app (MikroORM 7 writes one after each migration by default).
      snapshot: false,
      silent: process.env.NODE_ENV === 'test',
      migrationsList: [
        ...AUDIT_MIGRATIONS,
        { name: 'Migration20261122000100Users', class: Migration20261122000100Users },
        { name: 'Migration20261202000100UsersActive', class: Migration20261202000100UsersActive },
        { name: 'Migration20261202000200UsersCapture', class: Migration20261202000200UsersCapture },
        {
          name: 'Migration20261202000300UsersCredentialsVersion',
          class: Migration20261202000300UsersCredentialsVersion,
        },
      ],
    },
    pool: { min: 0, max: 20 },
    debug: false,
  });
}

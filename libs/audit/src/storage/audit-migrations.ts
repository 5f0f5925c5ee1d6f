import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261122000000AuditSchema } from './migrations/Migration20261122000000AuditSchema';

/**
 * The library's migrations, in order. Put them first in the app's `migrations.migrationsList`
 * (README "Database"); they only touch the `audit` schema.
 */
export const AUDIT_MIGRATIONS: MigrationObject[] = [
  { name: 'Migration20261122000000AuditSchema', class: Migration20261122000000AuditSchema },
];

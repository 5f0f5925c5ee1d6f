import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261122000000AuditSchema } from './migrations/Migration20261122000000AuditSchema';
import { Migration20261122180000Signing } from './migrations/Migration20261122180000Signing';
import { Migration20261122190000QueryIndexes } from './migrations/Migration20261122190000QueryIndexes';
import { Migration20261122200000AppendOnly } from './migrations/Migration20261122200000AppendOnly';
import { Migration20261122210000DeadLetters } from './migrations/Migration20261122210000DeadLetters';
import { Migration20261122220000PartitionEvents } from './migrations/Migration20261122220000PartitionEvents';
import { Migration20261123000000ForwardCursors } from './migrations/Migration20261123000000ForwardCursors';
import { Migration20261123020000Archive } from './migrations/Migration20261123020000Archive';
import { Migration20261123010000SubjectKeys } from './migrations/Migration20261123010000SubjectKeys';
import { Migration20261202000000RowCapture } from './migrations/Migration20261202000000RowCapture';
import { Migration20261202100000ForwardOnlyHeads } from './migrations/Migration20261202100000ForwardOnlyHeads';
import { Migration20261203000000StatementV2 } from './migrations/Migration20261203000000StatementV2';

/**
 * The library's migrations, in order. Put them first in the app's `migrations.migrationsList`
 * (docs/sealing.md); they only touch the `audit` schema.
 */
export const AUDIT_MIGRATIONS: MigrationObject[] = [
  { name: 'Migration20261122000000AuditSchema', class: Migration20261122000000AuditSchema },
  { name: 'Migration20261122180000Signing', class: Migration20261122180000Signing },
  { name: 'Migration20261122190000QueryIndexes', class: Migration20261122190000QueryIndexes },
  { name: 'Migration20261122200000AppendOnly', class: Migration20261122200000AppendOnly },
  { name: 'Migration20261122210000DeadLetters', class: Migration20261122210000DeadLetters },
  { name: 'Migration20261122220000PartitionEvents', class: Migration20261122220000PartitionEvents },
  { name: 'Migration20261123000000ForwardCursors', class: Migration20261123000000ForwardCursors },
  { name: 'Migration20261123010000SubjectKeys', class: Migration20261123010000SubjectKeys },
  { name: 'Migration20261123020000Archive', class: Migration20261123020000Archive },
  { name: 'Migration20261202000000RowCapture', class: Migration20261202000000RowCapture },
  { name: 'Migration20261202100000ForwardOnlyHeads', class: Migration20261202100000ForwardOnlyHeads },
  { name: 'Migration20261203000000StatementV2', class: Migration20261203000000StatementV2 },
];

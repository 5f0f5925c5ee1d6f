import { Migration } from '@mikro-orm/migrations';
import { auditCaptureSql, dropAuditCaptureSql, type AuditCaptureTable } from 'audit-ledger';

/** What the database records of `users`: every row change, the password hash never. */
const USERS_CAPTURE: AuditCaptureTable = {
  entityType: 'User',
  table: 'users',
  key: ['id'],
  masked: ['password_hash'],
};

/**
 * The database captures every committed change of `users` (User is `@AuditedEntity`): the app's
 * own writes with its context, and any other (psql, a script, another service) as the database
 * role's. Runs after the library's migrations, whose trigger function it attaches.
 */
export class Migration20261202000200UsersCapture extends Migration {
  override up(): void {
    for (const sql of auditCaptureSql(USERS_CAPTURE)) this.addSql(`${sql};`);
  }

  override down(): void {
    for (const sql of dropAuditCaptureSql(USERS_CAPTURE)) this.addSql(`${sql};`);
  }
}

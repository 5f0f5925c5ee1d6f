import { Migration } from '@mikro-orm/migrations';

/** Users can be deactivated (in bulk, per tenant) without losing their record or its history. */
export class Migration20261202000100UsersActive extends Migration {
  override up(): void {
    this.addSql('alter table "users" add column "active" boolean not null default true;');
  }

  override down(): void {
    this.addSql('alter table "users" drop column "active";');
  }
}

import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000100Users extends Migration {
  override up(): void {
    this.addSql(`create table "users" (
      "id" uuid primary key,
      "username" text not null unique,
      "email" text not null,
      "role" text not null check ("role" in ('user', 'admin', 'auditor')),
      "password_hash" text not null,
      "tenant_id" text null,
      "created_at" timestamptz(3) not null,
      "updated_at" timestamptz(3) not null
    );`);
    this.addSql('create index "users_tenant_idx" on "users" ("tenant_id");');
  }

  override down(): void {
    this.addSql('drop table if exists "users";');
  }
}

import { Migration } from '@mikro-orm/migrations';

/**
 * Revocation of bearer tokens: a token names the `credentials_version` it was issued at, and the
 * app refuses it once the version moved on. The database bumps it whenever a user's rights or
 * credentials change (role, tenant, password, active), whichever statement made the change, so no
 * code path (a bulk update, a script, psql) can change rights and leave old tokens valid.
 */
export class Migration20261202000300UsersCredentialsVersion extends Migration {
  override up(): void {
    this.addSql('alter table "users" add column "credentials_version" integer not null default 0;');
    this.addSql(`create function "users_bump_credentials_version"() returns trigger language plpgsql as $$
      begin
        if new."role" is distinct from old."role"
          or new."tenant_id" is distinct from old."tenant_id"
          or new."password_hash" is distinct from old."password_hash"
          or new."active" is distinct from old."active" then
          new."credentials_version" := old."credentials_version" + 1;
        end if;
        return new;
      end $$;`);
    this.addSql(`create trigger "users_credentials_version" before update on "users"
      for each row execute function "users_bump_credentials_version"();`);
  }

  override down(): void {
    this.addSql('drop trigger if exists "users_credentials_version" on "users";');
    this.addSql('drop function if exists "users_bump_credentials_version"();');
    this.addSql('alter table "users" drop column "credentials_version";');
  }
}

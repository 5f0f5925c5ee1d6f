import { Migration } from '@mikro-orm/migrations';

/**
 * Per-subject data keys for personal data (crypto-shredding). A key is stored wrapped under a
 * key-encryption key that is not in the database. A row is only ever inserted (a live key, or
 * an erased tombstone) and erased once: its wrapped key set to null with `erased_at`. A trigger
 * refuses every other UPDATE, every DELETE and un-erasing (ENABLE ALWAYS, as the append-only
 * triggers); TRUNCATE is refused too.
 */
export class Migration20261123010000SubjectKeys extends Migration {
  override up(): void {
    this.addSql(`create table "audit"."subject_keys" (
      "subject_id" text primary key,
      "wrapped_key" bytea null,
      "created_at" timestamptz not null default now(),
      "erased_at" timestamptz null,
      constraint "subject_keys_erased_check" check (("wrapped_key" is null) = ("erased_at" is not null))
    );`);
    this.addSql(`create function "audit"."guard_subject_key_change"() returns trigger language plpgsql as $$
      begin
        if TG_OP = 'DELETE'
          or old.wrapped_key is null
          or new.wrapped_key is not null
          or new.subject_id <> old.subject_id
          or new.created_at <> old.created_at
        then
          raise exception 'audit.subject_keys: % refused (a subject key is only ever erased, once)', TG_OP
            using errcode = '42501';
        end if;
        return new;
      end $$;`);
    this.addSql(
      `create trigger "subject_keys_erase_only" before update or delete on "audit"."subject_keys"
       for each row execute function "audit"."guard_subject_key_change"();`,
    );
    this.addSql(
      `create trigger "subject_keys_no_truncate" before truncate on "audit"."subject_keys"
       for each statement execute function "audit"."refuse_change"();`,
    );
    this.addSql('alter table "audit"."subject_keys" enable always trigger "subject_keys_erase_only";');
    this.addSql('alter table "audit"."subject_keys" enable always trigger "subject_keys_no_truncate";');
  }

  override down(): void {
    this.addSql('drop table "audit"."subject_keys";');
    this.addSql('drop function "audit"."guard_subject_key_change"();');
  }
}

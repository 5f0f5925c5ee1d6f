import { Migration } from '@mikro-orm/migrations';

/** Sealed tables: rows are only ever inserted. */
export const APPEND_ONLY_TABLES = ['events', 'batches', 'checkpoints', 'log_verifications'];

/**
 * Append-only at the database layer (seed 001). Row triggers refuse UPDATE and DELETE and a
 * statement trigger refuses TRUNCATE (which fires no DELETE trigger) on the sealed tables; signing
 * keys may only move forward in their lifecycle. Every trigger is ENABLE ALWAYS, so
 * `session_replication_role = replica` does not skip it: only a superuser who explicitly
 * disables the triggers can change a row — and verification then reports it.
 */
export class Migration20261122200000AppendOnly extends Migration {
  override up(): void {
    this.addSql(`create function "audit"."refuse_change"() returns trigger language plpgsql as $$
      begin
        raise exception 'audit.% is append-only: % refused', TG_TABLE_NAME, TG_OP using errcode = '42501';
      end $$;`);
    // A key's public half, key set, name and notBefore never change; status only moves forward;
    // notAfter and compromisedAt are set once (the witness applies the same rules).
    this.addSql(`create function "audit"."guard_key_change"() returns trigger language plpgsql as $$
      declare rank constant jsonb := '{"ACTIVE":0,"RETIRED":1,"COMPROMISED":2}';
      begin
        if TG_OP = 'DELETE'
          or new.key_id <> old.key_id or new.key_set_id <> old.key_set_id or new.name <> old.name
          or new.algorithm <> old.algorithm or new.verifier_key <> old.verifier_key
          or new.not_before <> old.not_before or new.created_at <> old.created_at
          or (rank ->> new.status)::int < (rank ->> old.status)::int
          or (old.not_after is not null and new.not_after is distinct from old.not_after)
          or (old.compromised_at is not null and new.compromised_at is distinct from old.compromised_at)
        then
          raise exception 'audit.signing_keys: % refused (keys only move forward in their lifecycle)', TG_OP
            using errcode = '42501';
        end if;
        return new;
      end $$;`);
    for (const table of APPEND_ONLY_TABLES) {
      this.trigger(table, `${table}_append_only`, 'before update or delete', 'row', 'refuse_change');
      this.trigger(table, `${table}_no_truncate`, 'before truncate', 'statement', 'refuse_change');
    }
    this.trigger(
      'signing_keys',
      'signing_keys_lifecycle',
      'before update or delete',
      'row',
      'guard_key_change',
    );
    this.trigger('signing_keys', 'signing_keys_no_truncate', 'before truncate', 'statement', 'refuse_change');
  }

  override down(): void {
    for (const table of [...APPEND_ONLY_TABLES, 'signing_keys']) {
      const names = table === 'signing_keys' ? ['lifecycle', 'no_truncate'] : ['append_only', 'no_truncate'];
      for (const name of names) this.addSql(`drop trigger "${table}_${name}" on "audit"."${table}";`);
    }
    this.addSql('drop function "audit"."refuse_change"(), "audit"."guard_key_change"();');
  }

  private trigger(table: string, name: string, when: string, level: string, fn: string): void {
    this.addSql(
      `create trigger "${name}" ${when} on "audit"."${table}" for each ${level} execute function "audit"."${fn}"();`,
    );
    this.addSql(`alter table "audit"."${table}" enable always trigger "${name}";`);
  }
}

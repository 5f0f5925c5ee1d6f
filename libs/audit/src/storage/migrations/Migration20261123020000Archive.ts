import { Migration } from '@mikro-orm/migrations';

/**
 * Archival and retention. `archive_segments` records every month moved out of the live store to
 * cold storage: its global_seq range, the signed seal of its bundle and the compact range at its
 * end (where the live log carries on). `archive_heads` keeps each entity's chain head at the cut,
 * so chains that continue in the live store still link, and full verification still recomputes
 * every entity head. `retention_rules` (newest per scope wins) and `legal_holds` decide what may
 * be archived. All four are append-only; a hold may only be released, once.
 */
export class Migration20261123020000Archive extends Migration {
  override up(): void {
    this.addSql(`create table "audit"."archive_segments" (
      "id" bigserial primary key,
      "partition_name" text not null unique,
      "period_start" timestamptz not null,
      "period_end" timestamptz not null,
      "from_seq" bigint not null,
      "to_seq" bigint not null,
      "event_count" bigint not null,
      "manifest_sha256" text not null,
      "previous_manifest_sha256" text null,
      "seal_note" text not null,
      "end_range" jsonb not null,
      "location" text not null,
      "created_at" timestamptz not null default now(),
      check ("to_seq" >= "from_seq"));`);
    this.addSql(`create table "audit"."archive_heads" (
      "cut_seq" bigint not null,
      "entity_type" text not null,
      "entity_id" text not null,
      "chain_seq" bigint not null,
      "hash" bytea not null,
      primary key ("entity_type", "entity_id", "cut_seq"));`);
    this.addSql(`create table "audit"."retention_rules" (
      "id" bigserial primary key,
      "tenant_id" text null,
      "entity_type" text null,
      "archive_after_days" int not null check ("archive_after_days" >= 0),
      "reason" text not null,
      "created_by" text not null,
      "created_at" timestamptz not null default now());`);
    this.addSql(`create table "audit"."legal_holds" (
      "id" bigserial primary key,
      "tenant_id" text null,
      "entity_type" text null,
      "entity_id" text null,
      "reason" text not null,
      "created_by" text not null,
      "created_at" timestamptz not null default now(),
      "released_at" timestamptz null,
      "released_by" text null,
      check ("entity_id" is null or "entity_type" is not null));`);
    this.addSql(`create function "audit"."guard_hold_release"() returns trigger language plpgsql as $$
      begin
        if tg_op <> 'UPDATE' or old.released_at is not null or new.released_at is null
           or (new.id, new.tenant_id, new.entity_type, new.entity_id, new.reason, new.created_by, new.created_at)
              is distinct from (old.id, old.tenant_id, old.entity_type, old.entity_id, old.reason, old.created_by, old.created_at)
        then raise exception 'audit.legal_holds: a hold may only be released, once' using errcode = '42501';
        end if;
        return new;
      end $$;`);
    for (const table of ['archive_segments', 'archive_heads', 'retention_rules']) {
      this.trigger(table, `${table}_append_only`, 'before update or delete', 'row', 'refuse_change');
      this.trigger(table, `${table}_no_truncate`, 'before truncate', 'statement', 'refuse_change');
    }
    this.trigger(
      'legal_holds',
      'legal_holds_release_only',
      'before update or delete',
      'row',
      'guard_hold_release',
    );
    this.trigger('legal_holds', 'legal_holds_no_truncate', 'before truncate', 'statement', 'refuse_change');
  }

  override down(): void {
    this.addSql(
      'drop table "audit"."archive_segments", "audit"."archive_heads", "audit"."retention_rules", "audit"."legal_holds";',
    );
    this.addSql('drop function "audit"."guard_hold_release"();');
  }

  private trigger(table: string, name: string, when: string, level: string, fn: string): void {
    this.addSql(
      `create trigger "${name}" ${when} on "audit"."${table}" for each ${level} execute function "audit"."${fn}"();`,
    );
    this.addSql(`alter table "audit"."${table}" enable always trigger "${name}";`);
  }
}

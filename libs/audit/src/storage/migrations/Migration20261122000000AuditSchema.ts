import { Migration } from '@mikro-orm/migrations';

/**
 * The audit schema: outbox (written in business transactions), per-entity chain heads (the
 * sealers' per-entity serialisation point and last hash), the log head (gapless global sequence)
 * and the sealed events, indexed for the queries auditors ask: an entity's trail, time ranges,
 * actor, action, module, tenant, request and changed field.
 */
export class Migration20261122000000AuditSchema extends Migration {
  override up(): void {
    this.addSql('create schema if not exists "audit";');
    this.addSql(`create table "audit"."outbox" (
      "seq" bigserial primary key,
      "id" uuid not null unique,
      "entity_type" text not null,
      "entity_id" text not null,
      "payload" jsonb not null,
      "created_at" timestamptz not null default now()
    );`);
    this.addSql(
      'create index "outbox_entity_seq_idx" on "audit"."outbox" ("entity_type", "entity_id", "seq");',
    );
    this.addSql('create index "outbox_created_at_idx" on "audit"."outbox" ("created_at");');
    this.addSql(`create table "audit"."chain_heads" (
      "entity_type" text not null,
      "entity_id" text not null,
      "last_seq" bigint not null default 0,
      "last_hash" bytea null,
      "updated_at" timestamptz not null default now(),
      primary key ("entity_type", "entity_id")
    );`);
    // One row: the global log head. Locked by each sealing transaction, so global_seq has no
    // gaps (a sequence's nextval would leave gaps on rollback).
    // The global Merkle log's right edge (compact range, hex digests) and root, so appending
    // never re-reads old leaves. Empty tree: root = SHA-256("").
    this.addSql(`create table "audit"."log_head" (
      "id" boolean primary key default true check ("id"),
      "tree_size" bigint not null default 0,
      "compact_range" jsonb not null default '[]',
      "root_hash" bytea not null default sha256(''),
      "updated_at" timestamptz not null default now()
    );`);
    this.addSql('insert into "audit"."log_head" default values;');
    this.addSql(`create table "audit"."events" (
      "id" uuid primary key,
      "entity_type" text not null,
      "entity_id" text not null,
      "chain_seq" bigint not null check ("chain_seq" > 0),
      "global_seq" bigint not null unique check ("global_seq" > 0),
      "hash_alg" text not null,
      "prev_hash" bytea not null check (length("prev_hash") = 32),
      "hash" bytea not null check (length("hash") = 32),
      "tenant_id" text null,
      "action" text not null,
      "actor_type" text not null,
      "actor_id" text not null,
      "actor_display" text null,
      "module" text null,
      "transaction_code" text null,
      "occurred_at" timestamptz(3) not null,
      "recorded_at" timestamptz(3) not null default now(),
      "before" jsonb null,
      "after" jsonb null,
      "changes" jsonb not null,
      "patch" jsonb not null,
      "changed_fields" text[] not null,
      "source" jsonb not null,
      "request_id" text null,
      "metadata" jsonb not null,
      constraint "events_chain_uq" unique ("entity_type", "entity_id", "chain_seq")
    );`);
    for (const [name, columns] of [
      ['events_occurred_at_idx', '"occurred_at"'],
      ['events_actor_idx', '"actor_id", "occurred_at"'],
      ['events_action_idx', '"action", "occurred_at"'],
      ['events_module_idx', '"module", "occurred_at"'],
      ['events_tenant_idx', '"tenant_id", "occurred_at"'],
      ['events_request_idx', '"request_id"'],
    ]) {
      this.addSql(`create index "${name}" on "audit"."events" (${columns});`);
    }
    this.addSql('create index "events_changed_fields_idx" on "audit"."events" using gin ("changed_fields");');
  }

  override down(): void {
    this.addSql('drop schema if exists "audit" cascade;');
  }
}

import { Migration } from '@mikro-orm/migrations';

/**
 * Signatures and checkpoints: the public signing keys, one signed statement per sealed batch,
 * the signed checkpoints with their compact ranges, the entity-heads map each checkpoint
 * commits to, and each event's signing key and batch (its integrity string).
 */
export class Migration20261122180000Signing extends Migration {
  override up(): void {
    this.addSql(`create table "audit"."signing_keys" (
      "key_id" text primary key,
      "key_set_id" text not null,
      "name" text not null,
      "algorithm" text not null,
      "verifier_key" text not null unique,
      "not_before" timestamptz(3) not null,
      "not_after" timestamptz(3) null,
      "status" text not null check ("status" in ('ACTIVE', 'RETIRED', 'COMPROMISED')),
      "compromised_at" timestamptz(3) null,
      "created_at" timestamptz not null default now()
    );`);
    // NOTE: the sealers read the active key from the log head they lock anyway, so a rotation
    // (which takes the same lock) switches every sealer in every process at one point of the log.
    // checkpoint_size: where the last checkpoint ends, so a sealer knows when the next is due.
    this.addSql(
      'alter table "audit"."log_head" add column "active_key_id" text null, add column "checkpoint_size" bigint not null default 0;',
    );
    // A batch is one sealing transaction; its statement (a checkpoint-format signed note whose
    // extension line is the entity head) is keyed by the tree size it ends at.
    this.addSql(`create table "audit"."batches" (
      "tree_size" bigint primary key,
      "entity_type" text not null,
      "entity_id" text not null,
      "head_seq" bigint not null,
      "key_id" text not null,
      "note" text not null
    );`);
    this.addSql(`create table "audit"."checkpoints" (
      "id" bigserial primary key,
      "tree_size" bigint not null,
      "root_hash" bytea not null,
      "heads_root" bytea not null,
      "checkpoint_time" timestamptz(3) not null,
      "key_id" text not null,
      "compact_range" jsonb not null,
      "note" text not null unique
    );`);
    this.addSql(
      'create index "checkpoints_size_idx" on "audit"."checkpoints" ("tree_size", "checkpoint_time");',
    );
    // The entity-heads map (crypto/head-map.ts): only non-empty nodes, keyed by bit prefix.
    this.addSql(`create table "audit"."head_map_nodes" (
      "prefix" text primary key,
      "hash" bytea not null,
      "leaf_key" bytea null,
      "chain_seq" bigint null,
      "head_hash" bytea null
    );`);
    // Where the last successful log verification stopped, for the next incremental one. Safe to
    // keep here: a forged range cannot extend to the witness's signed root.
    this.addSql(`create table "audit"."log_verifications" (
      "id" bigserial primary key,
      "verified_at" timestamptz not null default now(),
      "mode" text not null,
      "tree_size" bigint not null,
      "compact_range" jsonb not null,
      "checkpoint_note" text not null
    );`);
    this.addSql(`alter table "audit"."events"
      add column "batch_tree_size" bigint null,
      add column "key_set_id" text null,
      add column "key_id" text null;`);
  }

  override down(): void {
    this.addSql(`alter table "audit"."events"
      drop column "batch_tree_size", drop column "key_set_id", drop column "key_id";`);
    this.addSql(
      'drop table "audit"."log_verifications", "audit"."head_map_nodes", "audit"."checkpoints", "audit"."batches", "audit"."signing_keys";',
    );
    this.addSql('alter table "audit"."log_head" drop column "active_key_id", drop column "checkpoint_size";');
  }
}

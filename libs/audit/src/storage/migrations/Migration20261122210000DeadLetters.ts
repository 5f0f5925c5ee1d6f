import { Migration } from '@mikro-orm/migrations';

/**
 * Outbox rows remember why they could not be sealed: a poison event (one the worker can never
 * seal) is retried `deadLetter.maxAttempts` times, then parked with `dead_lettered_at` set. The
 * outbox is bookkeeping, not sealed data, so these columns change in place.
 */
export class Migration20261122210000DeadLetters extends Migration {
  override up(): void {
    this.addSql(
      `alter table "audit"."outbox"
         add column "attempts" int not null default 0,
         add column "last_error" text null,
         add column "dead_lettered_at" timestamptz null;`,
    );
    this.addSql(
      'create index "outbox_dead_lettered_idx" on "audit"."outbox" ("entity_type", "entity_id") where "dead_lettered_at" is not null;',
    );
  }

  override down(): void {
    this.addSql('drop index "audit"."outbox_dead_lettered_idx";');
    this.addSql(
      'alter table "audit"."outbox" drop column "attempts", drop column "last_error", drop column "dead_lettered_at";',
    );
  }
}

import { Migration } from '@mikro-orm/migrations';

/**
 * One row per forwarding sink: the `global_seq` of the last event the sink acknowledged. The
 * forwarder locks a sink's row for the length of a batch (so one worker at a time sends to a
 * sink) and moves it forward once the sink took the batch. Bookkeeping, not sealed data: it
 * changes in place, and deleting a row makes that sink start again (at `forwarding.startAt`).
 */
export class Migration20261123000000ForwardCursors extends Migration {
  override up(): void {
    this.addSql(
      `create table "audit"."forward_cursors" (
         "sink" text primary key,
         "global_seq" bigint not null check ("global_seq" >= 0),
         "updated_at" timestamptz not null default now()
       );`,
    );
  }

  override down(): void {
    this.addSql('drop table "audit"."forward_cursors";');
  }
}

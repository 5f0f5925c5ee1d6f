import { Migration } from '@mikro-orm/migrations';

const KEYSET = [
  ['events_occurred_at_idx', ''],
  ['events_actor_idx', '"actor_id", '],
  ['events_action_idx', '"action", '],
  ['events_module_idx', '"module", '],
  ['events_tenant_idx', '"tenant_id", '],
];

/**
 * Searches page by keyset on (occurred_at, global_seq): the time indexes end in global_seq too,
 * so a page ordered that way stops after `first` rows instead of sorting every match.
 */
export class Migration20261122190000QueryIndexes extends Migration {
  override up(): void {
    for (const [name, prefix] of KEYSET) {
      this.addSql(`drop index "audit"."${name}";`);
      this.addSql(`create index "${name}" on "audit"."events" (${prefix}"occurred_at", "global_seq");`);
    }
    this.addSql(
      'create index "events_entity_type_idx" on "audit"."events" ("entity_type", "occurred_at", "global_seq");',
    );
  }

  override down(): void {
    this.addSql('drop index "audit"."events_entity_type_idx";');
    for (const [name, prefix] of KEYSET) {
      this.addSql(`drop index "audit"."${name}";`);
      this.addSql(`create index "${name}" on "audit"."events" (${prefix}"occurred_at");`);
    }
  }
}

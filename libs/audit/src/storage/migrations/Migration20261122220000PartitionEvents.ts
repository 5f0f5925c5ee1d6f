import { Migration } from '@mikro-orm/migrations';

const INDEXES: [string, string][] = [
  ['events_occurred_at_idx', '("occurred_at", "global_seq")'],
  ['events_actor_idx', '("actor_id", "occurred_at", "global_seq")'],
  ['events_action_idx', '("action", "occurred_at", "global_seq")'],
  ['events_module_idx', '("module", "occurred_at", "global_seq")'],
  ['events_tenant_idx', '("tenant_id", "occurred_at", "global_seq")'],
  ['events_entity_type_idx', '("entity_type", "occurred_at", "global_seq")'],
  ['events_request_idx', '("request_id")'],
  ['events_changed_fields_idx', 'using gin ("changed_fields")'],
];

/**
 * `audit.events` partitioned by month of sealing (`recorded_at`, UTC), so that a closed month can
 * be archived and detached. The sealer stamps `recorded_at` under the log-head lock and never
 * lets it go back, so each month's partition holds one contiguous range of `global_seq`: a
 * stretch of the Merkle log. Unique constraints must include the partition key, so `global_seq`
 * and `(entity, chain_seq)` are unique per month; across months the chain-head and log-head locks
 * keep them unique, and verification would report a duplicate.
 *
 * `audit.ensure_event_partitions(months_ahead)` creates the coming months' partitions (workers
 * call it at start and every few hours); it runs as the schema owner (SECURITY DEFINER), so the
 * worker role needs only EXECUTE. A default partition takes rows of a month nobody created.
 * Row triggers are cloned to every partition; TRUNCATE triggers are not, so each partition gets
 * its own. Existing rows are copied over.
 */
export class Migration20261122220000PartitionEvents extends Migration {
  override up(): void {
    this.addSql(`alter table "audit"."events" rename to "events_unpartitioned";`);
    this
      .addSql(`create table "audit"."events" (like "audit"."events_unpartitioned" including defaults including constraints)
      partition by range ("recorded_at");`);
    this.addSql(`create function "audit"."create_event_partition"(month_start timestamptz) returns boolean
      language plpgsql security definer set search_path = pg_catalog as $$
      declare
        name text := 'events_' || to_char(month_start at time zone 'UTC', 'YYYY_MM');
      begin
        if to_regclass(format('audit.%I', name)) is not null then return false; end if;
        execute format('create table audit.%I partition of audit.events for values from (%L) to (%L)',
          name, month_start, month_start + interval '1 month');
        execute format('create trigger %I before truncate on audit.%I for each statement execute function audit.refuse_change()',
          name || '_no_truncate', name);
        execute format('alter table audit.%I enable always trigger %I', name, name || '_no_truncate');
        return true;
      end $$;`);
    this.addSql(`create function "audit"."ensure_event_partitions"(months_ahead int default 3) returns int
      language plpgsql security definer set search_path = pg_catalog as $$
      declare
        this_month timestamptz := date_trunc('month', now() at time zone 'UTC') at time zone 'UTC';
        created int := 0;
      begin
        for i in 0..months_ahead loop
          if audit.create_event_partition(this_month + make_interval(months => i)) then created := created + 1; end if;
        end loop;
        return created;
      end $$;`);
    this.addSql('revoke all on function "audit"."create_event_partition"(timestamptz) from public;');
    this.addSql('revoke all on function "audit"."ensure_event_partitions"(int) from public;');
    this.addSql(`do $$
      declare m timestamptz;
      begin
        select date_trunc('month', min(recorded_at) at time zone 'UTC') at time zone 'UTC' into m from audit.events_unpartitioned;
        while m is not null and m < now() loop
          perform audit.create_event_partition(m);
          m := m + interval '1 month';
        end loop;
        perform audit.ensure_event_partitions(3);
      end $$;`);
    this.addSql('create table "audit"."events_default" partition of "audit"."events" default;');
    this.addSql(
      'create trigger "events_default_no_truncate" before truncate on "audit"."events_default" for each statement execute function "audit"."refuse_change"();',
    );
    this.addSql('alter table "audit"."events_default" enable always trigger "events_default_no_truncate";');
    this.addSql('insert into "audit"."events" select * from "audit"."events_unpartitioned";');
    this.addSql('drop table "audit"."events_unpartitioned";');
    this.addSql(
      'alter table "audit"."events" add constraint "events_pkey" primary key ("id", "recorded_at");',
    );
    this.addSql(
      'alter table "audit"."events" add constraint "events_global_seq_key" unique ("global_seq", "recorded_at");',
    );
    this.addSql(
      'alter table "audit"."events" add constraint "events_chain_uq" unique ("entity_type", "entity_id", "chain_seq", "recorded_at");',
    );
    for (const [name, definition] of INDEXES) {
      this.addSql(`create index "${name}" on "audit"."events" ${definition};`);
    }
    this.addSql(
      'create trigger "events_append_only" before update or delete on "audit"."events" for each row execute function "audit"."refuse_change"();',
    );
    this.addSql('alter table "audit"."events" enable always trigger "events_append_only";');
    this.addSql(
      'create trigger "events_no_truncate" before truncate on "audit"."events" for each statement execute function "audit"."refuse_change"();',
    );
    this.addSql('alter table "audit"."events" enable always trigger "events_no_truncate";');
  }
}

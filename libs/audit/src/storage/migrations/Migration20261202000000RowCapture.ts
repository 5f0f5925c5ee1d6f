import { Migration } from '@mikro-orm/migrations';

/**
 * Row capture (docs/capture.md): every committed row change of a captured table becomes an outbox
 * row, written by a trigger in the same transaction, whatever made the change (the unit of work,
 * a native or bulk statement, raw SQL, psql, a migration, another service).
 *
 * - `audit.capture_row()` is the one trigger function; `auditCaptureSql()` attaches it to a table
 *   (its arguments: entity type, key columns, masked columns, parents whose relation the row is).
 *   It runs as the schema owner (SECURITY DEFINER) and is executable by nobody else, so only the
 *   owner can attach it: an application role cannot make it write rows of its choosing.
 * - Masked columns never reach the outbox: the trigger drops their values and records only which
 *   of them changed.
 * - The application passes its context (actor, request, operation) in the transaction-local
 *   setting `audit.ctx`; without one the row is a change made outside the application.
 * - The database stamps every outbox row itself: `captured` (written by the capture trigger, not
 *   by a client), `db_txid`, `db_role` (session_user) and `db_time` (clock_timestamp()). Clients
 *   may insert only the event columns (auditRoleGrants), so none of these can be forged.
 * - `audit.events` gains the members of the `audit/v1.1` event hash: operation, origin and the
 *   database's facts.
 */
export class Migration20261202000000RowCapture extends Migration {
  override up(): void {
    this.addSql(`alter table "audit"."events"
      add column "operation_id" uuid null,
      add column "origin" text null,
      add column "database_facts" jsonb null;`);
    this.addSql(
      'create index "events_operation_idx" on "audit"."events" ("operation_id") where "operation_id" is not null;',
    );
    // NOTE: defaults are set after the columns exist, so rows already waiting keep nulls (a volatile
    // default would stamp them with the migration's time, as if written now).
    this.addSql(`alter table "audit"."outbox"
      add column "captured" boolean not null default false,
      add column "db_txid" bigint null,
      add column "db_role" text null,
      add column "db_time" timestamptz null;`);
    this.addSql(`alter table "audit"."outbox"
      alter column "db_txid" set default txid_current(),
      alter column "db_role" set default session_user,
      alter column "db_time" set default clock_timestamp();`);

    // Time-ordered ids, as the application's (UUID v7: 48-bit milliseconds, version 7, random rest).
    this.addSql(`create function "audit"."uuid_v7"() returns uuid language sql volatile parallel safe as $$
      select encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
        placing substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3)
        from 1 for 6), 52, 1), 53, 1), 'hex')::uuid
    $$;`);

    // A record's id as the application writes it: the key's text, or a JSON array of a composite key.
    this.addSql(`create function "audit"."row_key"(r jsonb, keys text[]) returns text
      language sql immutable parallel safe as $$
      select case when cardinality(keys) = 1 then r ->> keys[1]
        else '[' || array_to_string(array(select coalesce(r -> k, 'null'::jsonb)::text from unnest(keys) k), ',') || ']'
      end
    $$;`);

    this.addSql(`create function "audit"."capture_row"() returns trigger
      language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
      declare
        keys text[] := string_to_array(TG_ARGV[1], ',');
        masked text[] := coalesce(string_to_array(nullif(TG_ARGV[2], ''), ','), '{}');
        parents jsonb;
        ctx jsonb := nullif(current_setting('audit.ctx', true), '')::jsonb;
        old_row jsonb;
        new_row jsonb;
        old_id text;
        new_id text;
        masked_changed text[] := '{}';
        parent jsonb;
        parent_cols text[];
        member_cols text[];
        old_parent text;
        new_parent text;
        old_member text;
        new_member text;
      begin
        -- NOTE: masked values are dropped below, after keys and relations were read from the row.
        -- NOTE: a one-column key is read inline: audit.row_key is a call PostgreSQL cannot inline
        -- here, and it cost a quarter of the trigger's time in a 10,000-row update (bench "bulk").
        if TG_OP <> 'INSERT' then
          old_row := to_jsonb(OLD);
          old_id := case when cardinality(keys) = 1 then old_row ->> keys[1] else audit.row_key(old_row, keys) end;
        end if;
        if TG_OP <> 'DELETE' then
          new_row := to_jsonb(NEW);
          new_id := case when cardinality(keys) = 1 then new_row ->> keys[1] else audit.row_key(new_row, keys) end;
        end if;
        -- A child row (or a join row) is a change of its parents' relations too: a member added
        -- to one parent, removed from another. The member is the row's key, or its memberColumns.
        if TG_NARGS > 3 then parents := TG_ARGV[3]::jsonb; end if;
        if parents is not null then
        for parent in select * from jsonb_array_elements(parents) loop
          parent_cols := array(select jsonb_array_elements_text(parent -> 'columns'));
          member_cols := case when parent ? 'memberColumns'
            then array(select jsonb_array_elements_text(parent -> 'memberColumns')) else keys end;
          old_parent := case when old_row is null then null else audit.row_key(old_row, parent_cols) end;
          new_parent := case when new_row is null then null else audit.row_key(new_row, parent_cols) end;
          old_member := case when old_row is null then null else audit.row_key(old_row, member_cols) end;
          new_member := case when new_row is null then null else audit.row_key(new_row, member_cols) end;
          if old_parent is not distinct from new_parent and old_member is not distinct from new_member then
            continue;
          end if;
          if old_parent is not null then
            insert into audit.outbox (id, entity_type, entity_id, payload, captured)
            values (audit.uuid_v7(), parent ->> 'entityType', old_parent, jsonb_build_object('op', 'RELATION',
              'table', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, 'ctx', ctx,
              'relation', parent ->> 'relation', 'removed', old_member), true);
          end if;
          if new_parent is not null then
            insert into audit.outbox (id, entity_type, entity_id, payload, captured)
            values (audit.uuid_v7(), parent ->> 'entityType', new_parent, jsonb_build_object('op', 'RELATION',
              'table', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, 'ctx', ctx,
              'relation', parent ->> 'relation', 'added', new_member), true);
          end if;
        end loop;
        end if;
        -- A join table (no entity of its own) records only its parents' relations.
        if TG_ARGV[0] = '' then return null; end if;
        if cardinality(masked) > 0 then
          if TG_OP = 'UPDATE' then
            select coalesce(array_agg(m order by m), '{}') into masked_changed from unnest(masked) m
              where (old_row -> m) is distinct from (new_row -> m);
          end if;
          old_row := old_row - masked;
          new_row := new_row - masked;
        end if;
        if TG_OP = 'UPDATE' and old_id <> new_id then
          -- A changed key ends one record and begins another.
          insert into audit.outbox (id, entity_type, entity_id, payload, captured) values
            (audit.uuid_v7(), TG_ARGV[0], old_id, jsonb_build_object('op', 'DELETE',
              'table', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, 'old', old_row, 'new', null, 'ctx', ctx,
              'masked', to_jsonb(masked), 'maskedChanged', '[]'::jsonb), true),
            (audit.uuid_v7(), TG_ARGV[0], new_id, jsonb_build_object('op', 'INSERT',
              'table', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, 'old', null, 'new', new_row, 'ctx', ctx,
              'masked', to_jsonb(masked), 'maskedChanged', '[]'::jsonb), true);
          return null;
        end if;
        insert into audit.outbox (id, entity_type, entity_id, payload, captured)
        values (audit.uuid_v7(), TG_ARGV[0], coalesce(new_id, old_id), jsonb_build_object('op', TG_OP,
          'table', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, 'old', old_row, 'new', new_row, 'ctx', ctx,
          'masked', to_jsonb(masked), 'maskedChanged', to_jsonb(masked_changed)), true);
        return null;
      end $$;`);

    // TRUNCATE fires no row trigger: on a captured table it would remove rows without an event.
    this.addSql(`create function "audit"."refuse_captured_truncate"() returns trigger language plpgsql as $$
      begin
        raise exception '%.% is captured by the audit ledger: TRUNCATE would remove rows without events (use DELETE)',
          TG_TABLE_SCHEMA, TG_TABLE_NAME using errcode = '42501';
      end $$;`);
    this.addSql('revoke all on function "audit"."capture_row"() from public;');
  }

  override down(): void {
    this.addSql('drop function "audit"."refuse_captured_truncate"();');
    this.addSql('drop function "audit"."capture_row"();');
    this.addSql('drop function "audit"."row_key"(jsonb, text[]);');
    this.addSql('drop function "audit"."uuid_v7"();');
    this.addSql(`alter table "audit"."outbox" drop column "captured", drop column "db_txid",
      drop column "db_role", drop column "db_time";`);
    this.addSql('drop index "audit"."events_operation_idx";');
    this.addSql(`alter table "audit"."events" drop column "operation_id", drop column "origin",
      drop column "database_facts";`);
  }
}

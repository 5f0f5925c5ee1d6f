import { Migration } from '@mikro-orm/migrations';

/** The mutable head rows the worker role may write, each with its guard function (issue #15, item 9). */
const GUARDS: [table: string, fn: string, when: string][] = [
  ['log_head', 'guard_log_head', 'before update or delete'],
  ['chain_heads', 'guard_chain_head', 'before insert or update or delete'],
  ['head_map_nodes', 'guard_head_map_node', 'before update or delete'],
  ['forward_cursors', 'guard_forward_cursor', 'before insert or update'],
];

/**
 * Heads only move forward, enforced by the database. The worker role may UPDATE the log head,
 * the per-entity chain heads, the entity-heads map and the forwarding cursors (audit-grants.ts);
 * without these triggers it could move one back (`update audit.log_head set tree_size = 0`), after
 * which the sealer rightly refuses to sign and sealing halts until someone repairs the row.
 *
 * Each guard refuses, for any role that is not a member of the table's owner (the role that ran
 * the migrations; superusers are members of every role), any change that moves a head back or
 * rewrites it in place. The owner is exempt on purpose: it can disable a trigger anyway, and it
 * is who repairs or restores a store, or resets a forwarding cursor to replay a sink. The
 * triggers belong to the owner, so the worker role cannot drop or disable them, and they are
 * ENABLE ALWAYS like the append-only triggers. (TRUNCATE needs a privilege the worker role does
 * not have; no trigger refuses it, so the owner can still empty a table it restores.) What each allows is in docs/integrity.md
 * ("Heads only move forward").
 */
export class Migration20261202100000ForwardOnlyHeads extends Migration {
  override up(): void {
    this.addSql(`create function "audit"."by_table_owner"(rel oid) returns boolean
      language sql stable set search_path = pg_catalog as $$
        select pg_has_role(current_user, (select relowner from pg_class where oid = rel), 'MEMBER') $$;`);
    // NOTE: updated_at is where the next sealer's recorded_at starts (log-append.ts), so it may not
    // go back, nor ahead of this clock: a head dated in the future would date every later event.
    this.addSql(`create function "audit"."guard_log_head"() returns trigger language plpgsql as $$
      begin
        if audit.by_table_owner(TG_RELID) then
          return case when TG_OP = 'DELETE' then old else new end;
        end if;
        if TG_OP = 'DELETE'
          or new.id is distinct from old.id
          or new.tree_size < old.tree_size
          or (new.tree_size = old.tree_size
              and (new.root_hash <> old.root_hash or new.compact_range <> old.compact_range))
          or new.checkpoint_size < old.checkpoint_size
          or new.checkpoint_size > new.tree_size
          or new.updated_at < old.updated_at
          or new.updated_at > greatest(clock_timestamp(), old.updated_at)
          or (old.active_key_id is not null and new.active_key_id is null)
          or (new.active_key_id is distinct from old.active_key_id and not exists (
                select 1 from audit.signing_keys k where k.key_id = new.active_key_id and k.status = 'ACTIVE'))
        then
          raise exception 'audit.log_head: % refused (the log head only moves forward)', TG_OP
            using errcode = '42501';
        end if;
        return new;
      end $$;`);
    // A chain head is created empty (the sealer's insert … on conflict do nothing) and then only
    // moves forward; at an unchanged chain_seq its hash never changes.
    this.addSql(`create function "audit"."guard_chain_head"() returns trigger language plpgsql as $$
      begin
        if audit.by_table_owner(TG_RELID) then
          return case when TG_OP = 'DELETE' then old else new end;
        end if;
        if TG_OP = 'INSERT' then
          if new.last_seq = 0 and new.last_hash is null then return new; end if;
        elsif TG_OP = 'UPDATE'
          and new.entity_type = old.entity_type and new.entity_id = old.entity_id
          and new.last_seq >= old.last_seq
          and (new.last_seq > old.last_seq or new.last_hash is not distinct from old.last_hash)
          and new.last_hash is not null
        then
          return new;
        end if;
        raise exception 'audit.chain_heads: % refused (a chain head only moves forward)', TG_OP
          using errcode = '42501';
      end $$;`);
    // The entity-heads map (crypto/head-map.ts) never loses a node; an internal node stays
    // internal; a leaf either stays its key's leaf, at the same or a later chain_seq, or is pushed
    // down (its prefix becomes internal). Internal hashes are not recomputed here: full log
    // verification recomputes the map from the chain heads.
    this.addSql(`create function "audit"."guard_head_map_node"() returns trigger language plpgsql as $$
      begin
        if audit.by_table_owner(TG_RELID) then
          return case when TG_OP = 'DELETE' then old else new end;
        end if;
        if TG_OP = 'UPDATE' and new.prefix = old.prefix and (
             new.leaf_key is null
             or (old.leaf_key = new.leaf_key
                 and (new.chain_seq > old.chain_seq
                      or (new.chain_seq = old.chain_seq and new.head_hash = old.head_hash and new.hash = old.hash))))
        then
          return new;
        end if;
        raise exception 'audit.head_map_nodes: % refused (the entity-heads map only moves forward)', TG_OP
          using errcode = '42501';
      end $$;`);
    // A forwarding cursor may not go back (a sink would get events twice) nor past the log (a sink
    // would silently miss the events in between). The owner may reset one to replay a sink.
    this.addSql(`create function "audit"."guard_forward_cursor"() returns trigger language plpgsql as $$
      begin
        if audit.by_table_owner(TG_RELID) then return new; end if;
        if (TG_OP = 'INSERT' or (new.sink = old.sink and new.global_seq >= old.global_seq))
          and new.global_seq <= (select tree_size from audit.log_head)
        then
          return new;
        end if;
        raise exception 'audit.forward_cursors: % refused (a cursor only moves forward, within the log)', TG_OP
          using errcode = '42501';
      end $$;`);
    for (const [table, fn, when] of GUARDS) {
      this.addSql(
        `create trigger "${table}_forward_only" ${when} on "audit"."${table}" for each row execute function "audit"."${fn}"();`,
      );
      this.addSql(`alter table "audit"."${table}" enable always trigger "${table}_forward_only";`);
    }
  }

  override down(): void {
    for (const [table, fn] of GUARDS) {
      this.addSql(`drop trigger "${table}_forward_only" on "audit"."${table}";`);
      this.addSql(`drop function "audit"."${fn}"();`);
    }
    this.addSql('drop function "audit"."by_table_owner"(oid);');
  }
}

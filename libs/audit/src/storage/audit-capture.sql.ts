/** One table whose row changes the database captures (docs/capture.md). */
export interface AuditCaptureTable {
  /** The entity type its rows' events carry: the MikroORM entity's class name. Empty for a join table. */
  entityType: string;
  /** The table, and its schema (default `public`). */
  table: string;
  schema?: string;
  /** The primary key's columns, in the entity's order. */
  key: string[];
  /**
   * Columns whose values never leave the table: the trigger drops them and records only that they
   * changed. The startup check refuses to run while a column the entity masks is missing here.
   */
  masked?: string[];
  /**
   * Parents whose to-many relation a row of this table is a member of: a child's foreign key
   * (`columns`), or one side of a join table (`columns`, the member in `memberColumns`). Each
   * insert, delete or move of a row is then also an event on the parent: `relation` +member / -member.
   */
  parents?: { entityType: string; columns: string[]; relation: string; memberColumns?: string[] }[];
}

/** The names of the triggers `auditCaptureSql` creates. */
export const CAPTURE_TRIGGERS = {
  rows: 'audit_capture',
  updates: 'audit_capture_update',
  truncate: 'audit_capture_truncate',
} as const;

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;
const qualified = (t: Pick<AuditCaptureTable, 'schema' | 'table'>) =>
  `${ident(t.schema ?? 'public')}.${ident(t.table)}`;

/** The trigger arguments `audit.capture_row()` reads, as the startup check compares them. */
export function captureTriggerArgs(t: AuditCaptureTable): string[] {
  const args = [t.entityType, t.key.join(','), [...(t.masked ?? [])].sort().join(',')];
  if (t.parents && t.parents.length > 0) args.push(JSON.stringify(t.parents));
  return args;
}

/**
 * The statements that make the database capture a table's row changes, for the app's own
 * migration (after `AUDIT_MIGRATIONS`, run by the schema owner): an AFTER row trigger for inserts
 * and deletes, one for updates that change something, both ENABLE ALWAYS (so
 * `session_replication_role = replica` does not skip them), and a refusal of TRUNCATE.
 * Adding or dropping a column later needs no change here (the trigger copies whole rows); a new
 * column that must be masked does, and the app's startup check names it.
 */
export function auditCaptureSql(t: AuditCaptureTable): string[] {
  const table = qualified(t);
  const args = captureTriggerArgs(t).map(literal).join(', ');
  const call = `execute function "audit"."capture_row"(${args})`;
  return [
    ...dropAuditCaptureSql(t),
    `create trigger ${ident(CAPTURE_TRIGGERS.rows)} after insert or delete on ${table} for each row ${call}`,
    `create trigger ${ident(CAPTURE_TRIGGERS.updates)} after update on ${table} for each row when (old.* is distinct from new.*) ${call}`,
    `create trigger ${ident(CAPTURE_TRIGGERS.truncate)} before truncate on ${table} for each statement execute function "audit"."refuse_captured_truncate"()`,
    ...Object.values(CAPTURE_TRIGGERS).map(
      (name) => `alter table ${table} enable always trigger ${ident(name)}`,
    ),
  ];
}

/** The statements that stop capturing a table (its events so far stay sealed). */
export function dropAuditCaptureSql(t: Pick<AuditCaptureTable, 'schema' | 'table'>): string[] {
  return Object.values(CAPTURE_TRIGGERS).map(
    (name) => `drop trigger if exists ${ident(name)} on ${qualified(t)}`,
  );
}

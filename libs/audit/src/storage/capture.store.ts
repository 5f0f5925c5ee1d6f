import { type SqlSession } from './sql-session';
import { CAPTURE_TRIGGERS } from './audit-capture.sql';

/** A capture trigger as PostgreSQL holds it, with its table's current columns. */
export interface InstalledCapture {
  schema: string;
  table: string;
  trigger: string;
  /** `A`: ENABLE ALWAYS; `O`: origin (skipped under session_replication_role = replica); `D`: disabled. */
  enabled: string;
  args: string[];
  columns: string[];
}

/** The capture triggers of every table, or none when the capture migration has not run. */
export async function installedCaptures(db: SqlSession): Promise<InstalledCapture[]> {
  const rows = await db.raw<{
    rows: {
      schema: string;
      table: string;
      trigger: string;
      enabled: string;
      args: string;
      columns: string[];
    }[];
  }>(
    `select n.nspname as schema, c.relname as table, t.tgname as trigger, t.tgenabled as enabled,
       encode(t.tgargs, 'hex') as args,
       array(select a.attname::text from pg_attribute a
             where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped order by a.attnum) as columns
     from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
     where t.tgfoid = to_regprocedure('audit.capture_row()') and t.tgname = any(?)
     order by n.nspname, c.relname, t.tgname`,
    [[CAPTURE_TRIGGERS.rows, CAPTURE_TRIGGERS.updates]],
  );
  return rows.rows.map((r) => ({ ...r, args: triggerArgs(r.args) }));
}

/** pg_trigger.tgargs: each argument followed by a NUL byte. */
function triggerArgs(hex: string): string[] {
  const bytes = Buffer.from(hex, 'hex');
  const args: string[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0) continue;
    args.push(bytes.subarray(start, i).toString('utf8'));
    start = i + 1;
  }
  return args;
}

/** Sets the application's context for the rest of the transaction (or until set again). */
export async function setCaptureContext(trx: SqlSession, setting: string, context: string): Promise<void> {
  await trx.raw('select set_config(?, ?, true)', [setting, context]);
}

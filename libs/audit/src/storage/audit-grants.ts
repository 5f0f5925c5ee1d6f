/** The database roles the audit tables are granted to (they must exist; the migrations' owner grants). */
export interface AuditRoles {
  /** The application processes: record events and read the store. */
  app: string;
  /** The sealing workers (and the in-process worker of an app that runs one): also seal and sign. */
  worker: string;
  /**
   * Optional: the role that erases subjects (AuditSubjectErasure): it may destroy subject keys
   * and record the ERASE event, nothing else. Without it only the owner can erase.
   */
  eraser?: string;
}

const READ = [
  'outbox',
  'events',
  'chain_heads',
  'log_head',
  'batches',
  'checkpoints',
  'head_map_nodes',
  'signing_keys',
  'log_verifications',
  'archive_segments',
  'archive_heads',
  'retention_rules',
  'legal_holds',
  'subject_keys',
  'forward_cursors',
];

/** What a client may write into an outbox row: the event, nothing the database stamps. */
const OUTBOX_EVENT_COLUMNS = ['id', 'entity_type', 'entity_id', 'payload'].map((c) => `"${c}"`).join(', ');

const quote = (role: string) => `"${role.replace(/"/g, '""')}"`;

/**
 * Least-privilege GRANT statements for the audit schema (seed 001: no UPDATE or DELETE at the
 * PostgreSQL layer). Run them as the owner of the schema (the role that runs the migrations),
 * then connect the app and the workers as these roles. Neither owns a table, so neither can
 * disable the append-only triggers; neither may UPDATE or DELETE a sealed row or TRUNCATE
 * anything. The app may only add outbox rows (their event columns) and subject keys (and record a log verification); the worker also
 * inserts sealed rows and moves the per-entity and global heads forward.
 */
export function auditRoleGrants({ app, worker, eraser }: AuditRoles): string[] {
  const both = `${quote(app)}, ${quote(worker)}`;
  const tables = (names: string[]) => names.map((t) => `"audit"."${t}"`).join(', ');
  return [
    `grant usage on schema "audit" to ${both}`,
    `grant select on ${tables(READ)} to ${both}`,
    // Subject keys are made on first use, by whoever writes or seals; only the eraser destroys one.
    `grant insert on ${tables(['log_verifications', 'subject_keys'])} to ${both}`,
    // The outbox's event columns only: whether a row was captured by the database and the
    // database's own facts (transaction, role, clock) are PostgreSQL's to stamp, never a client's.
    // The revoke drops a table-wide grant from before row capture, which would override this one.
    `revoke insert on ${tables(['outbox'])} from ${both}`,
    `grant insert (${OUTBOX_EVENT_COLUMNS}) on ${tables(['outbox'])} to ${both}`,
    `grant usage on all sequences in schema "audit" to ${both}`,
    `grant insert on ${tables(['events', 'batches', 'checkpoints', 'signing_keys', 'chain_heads', 'head_map_nodes'])} to ${quote(worker)}`,
    // Mutable bookkeeping, not sealed data: heads move forward, the outbox drains (and
    // records why a poison event could not be sealed), keys retire
    // (the signing_keys trigger allows only forward lifecycle changes).
    `grant update on ${tables(['chain_heads', 'log_head', 'head_map_nodes', 'signing_keys'])} to ${quote(worker)}`,
    // Forwarding cursors: where each sink is, moved forward once it acknowledged a batch.
    `grant insert, update on ${tables(['forward_cursors'])} to ${quote(worker)}`,
    `grant update (attempts, last_error, dead_lettered_at), delete on ${tables(['outbox'])} to ${quote(worker)}`,
    // Creates next months' partitions as the schema owner (SECURITY DEFINER); nothing else.
    `grant execute on function "audit"."ensure_event_partitions"(int) to ${quote(worker)}`,
    ...(eraser
      ? [
          `grant usage on schema "audit" to ${quote(eraser)}`,
          `grant select, insert on ${tables(['subject_keys'])} to ${quote(eraser)}`,
          `revoke insert on ${tables(['outbox'])} from ${quote(eraser)}`,
          `grant select, insert (${OUTBOX_EVENT_COLUMNS}) on ${tables(['outbox'])} to ${quote(eraser)}`,
          `grant update (wrapped_key, erased_at) on ${tables(['subject_keys'])} to ${quote(eraser)}`,
          `grant usage on all sequences in schema "audit" to ${quote(eraser)}`,
        ]
      : []),
  ];
}

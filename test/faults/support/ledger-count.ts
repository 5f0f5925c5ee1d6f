import type { FaultDatabase } from './fault-database';
import type { WriteLedger } from './write-ledger';

/** The ledger's writes against the sealed store (`audit.events.request_id`). */
export interface LedgerCount {
  /** Writes answered ok: committed. */
  committed: number;
  /** Committed writes with a sealed event. */
  sealed: number;
  /** Sealed events beyond one per request, over every request of the ledger. */
  duplicates: number;
  /** Committed writes with no sealed event. */
  missing: number;
  /** Sealed events of writes whose answer said they failed (their *_FAILED records aside). */
  extra: number;
  failedWrites: number;
  /** Writes with no answer at all: either outcome is right; how many of them sealed is told apart. */
  unanswered: number;
  unansweredSealed: number;
}

export async function countLedger(db: FaultDatabase, ledger: WriteLedger): Promise<LedgerCount> {
  // A write audits one event (UPDATE / CREATE); a failed one may add its UPDATE_FAILED record,
  // which is not the change and is left out, as is the request's own `http.request` entry.
  const rows = await db.query<{ request_id: string; n: number }>(
    `select request_id, count(*)::int as n from audit.events
     where request_id = any($1::text[]) and action not like '%\\_FAILED' and entity_type <> 'http.request'
     group by request_id`,
    [ledger.ids()],
  );
  const sealed = new Map(rows.map((r) => [r.request_id, r.n]));
  const present = (ids: string[]) => ids.filter((id) => sealed.has(id)).length;
  const committed = ledger.ids('ok');
  const failed = ledger.ids('failed');
  const unanswered = ledger.ids('unanswered');
  return {
    committed: committed.length,
    sealed: present(committed),
    duplicates: rows.reduce((sum, r) => sum + r.n - 1, 0),
    missing: committed.length - present(committed),
    extra: failed.reduce((sum, id) => sum + (sealed.get(id) ?? 0), 0),
    failedWrites: failed.length,
    unanswered: unanswered.length,
    unansweredSealed: present(unanswered),
  };
}

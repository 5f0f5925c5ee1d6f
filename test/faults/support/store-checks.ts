import type { FaultDatabase } from './fault-database';

/**
 * What must hold of the sealed store at any moment, each as a query returning the offending
 * rows (none when it holds): every chain 1..n with no gap and linked hash to hash, its head row
 * at its last event, the global log 1..n with the log head at n, and every batch whole (the events
 * of one entity from the previous batch's end to its own, its statement naming its last one).
 */
const INVARIANTS: [string, string][] = [
  [
    'chain with a gap',
    `select entity_type, entity_id, count(*)::int as n, min(chain_seq)::int as min, max(chain_seq)::int as max
     from audit.events group by 1, 2 having min(chain_seq) <> 1 or max(chain_seq) <> count(*)`,
  ],
  [
    'event not linked to its predecessor',
    `select e.entity_type, e.entity_id, e.chain_seq::int from audit.events e
     left join audit.events p on p.entity_type = e.entity_type and p.entity_id = e.entity_id
       and p.chain_seq = e.chain_seq - 1
     where e.prev_hash <> coalesce(p.hash, decode(repeat('00', 32), 'hex')) limit 20`,
  ],
  [
    'chain head not at the last event',
    `select h.entity_type, h.entity_id, h.last_seq::int, e.chain_seq::int as last_event from audit.chain_heads h
     left join lateral (select chain_seq, hash from audit.events x
       where x.entity_type = h.entity_type and x.entity_id = h.entity_id order by chain_seq desc limit 1) e on true
     where h.last_seq <> coalesce(e.chain_seq, 0) or h.last_hash is distinct from e.hash limit 20`,
  ],
  [
    'global log with a gap or a head elsewhere',
    `select count(*)::int as n, max(global_seq)::int as max, (select tree_size::int from audit.log_head) as head
     from audit.events having count(*) <> coalesce(max(global_seq), 0)
       or count(*) <> (select tree_size from audit.log_head)`,
  ],
  [
    'batch statement not naming its last event',
    `select b.tree_size::int, b.entity_id, b.head_seq::int from audit.batches b
     left join audit.events e on e.global_seq = b.tree_size
     where e.id is null or e.entity_type <> b.entity_type or e.entity_id <> b.entity_id
       or e.chain_seq <> b.head_seq limit 20`,
  ],
  [
    'event outside its batch',
    `select e.global_seq::int, e.batch_tree_size::int from audit.events e
     left join audit.batches b on b.tree_size = e.batch_tree_size
     where b.tree_size is null or b.entity_type <> e.entity_type or b.entity_id <> e.entity_id
       or b.tree_size <> (select min(x.tree_size) from audit.batches x where x.tree_size >= e.global_seq)
     limit 20`,
  ],
  [
    // Sealed out of commit order: an event's before is not its predecessor's after.
    'DRIFT_DETECTED event',
    `select entity_id, chain_seq::int from audit.events where action = 'DRIFT_DETECTED' limit 20`,
  ],
];

/** The invariants that do not hold, each with up to 20 offending rows; empty when all hold. */
export async function checkStore(db: FaultDatabase): Promise<string[]> {
  const problems: string[] = [];
  for (const [what, sql] of INVARIANTS) {
    const rows = await db.query(sql);
    if (rows.length > 0) problems.push(`${what}: ${JSON.stringify(rows)}`);
  }
  return problems;
}

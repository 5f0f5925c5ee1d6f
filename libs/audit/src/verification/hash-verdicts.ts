import { recordedFields } from '../storage/sealed-event.mapper';
import { isJsonb, JSONB_COLUMNS, LOG_COLUMNS, type LogRow } from '../storage/verification.store';
import { HashVerdict, hashVerdict } from './chain-verifier';

// The members of a hash body, in order: a row's hashed scalar columns (with its link), then its
// jsonb columns as text.
const UNHASHED = ['global_seq', 'batch_tree_size', 'key_id'];
const SCALARS = LOG_COLUMNS.filter((c) => !UNHASHED.includes(c) && !isJsonb(c));
const BODY_COLUMNS: readonly string[] = [...SCALARS, ...JSONB_COLUMNS];

/**
 * What the event hash of a log row is checked over, as one JSON array text: its scalar columns
 * (hashes in hex) and its jsonb columns as PostgreSQL wrote them, not parsed here. A thread is
 * sent one string per row, which costs a copy, where the parsed columns would cost a walk.
 */
export function hashBodyOf(row: LogRow): string {
  const scalars = JSON.stringify(
    SCALARS.map((c) => (c === 'prev_hash' || c === 'hash' ? row[c].toString('hex') : row[c])),
  );
  // NOTE: jsonb's text is one JSON value (PostgreSQL writes nothing else), so the array stays one.
  let body = scalars.slice(0, -1);
  for (const column of JSONB_COLUMNS) body += `,${row[column] ?? 'null'}`;
  return `${body}]`;
}

/** The verdict of one hash body: text that is no such body is a mismatch, never an exception. */
function verdictOf(body: string): HashVerdict {
  try {
    const values: unknown = JSON.parse(body);
    if (!Array.isArray(values) || values.length !== BODY_COLUMNS.length) return HashVerdict.MISMATCH;
    const row: Record<string, unknown> = {};
    for (let i = 0; i < BODY_COLUMNS.length; i++) row[BODY_COLUMNS[i]] = values[i];
    const fields = recordedFields(row as unknown as Parameters<typeof recordedFields>[0]);
    return hashVerdict(fields, {
      chainSeq: Number(row.chain_seq),
      hashAlg: row.hash_alg as string,
      prevHash: Buffer.from(row.prev_hash as string, 'hex'),
      hash: Buffer.from(row.hash as string, 'hex'),
    });
  } catch {
    return HashVerdict.MISMATCH;
  }
}

/**
 * The hash verdict of each body (`hashBodyOf`): whether the row's recorded fields hash to its
 * recorded hash. Pure, and the text is all it needs, so a worker thread can compute it
 * (./event-hash.pool.ts).
 */
export function hashVerdictsOf(bodies: readonly string[]): Uint8Array<ArrayBuffer> {
  const verdicts = new Uint8Array(bodies.length);
  for (let i = 0; i < bodies.length; i++) verdicts[i] = verdictOf(bodies[i]);
  return verdicts;
}

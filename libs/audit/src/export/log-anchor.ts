import { rangeRoot, type CompactRange } from '../crypto/compact-range';
import { LogIntegrityError } from '../errors/log-integrity.error';
import type { SigningKeyRecord } from '../keys/signing-key-record';
import { openStatement } from '../verification/signed-statement';
import { signedPointAtOrBefore } from '../storage/export.store';
import { type SqlSession } from '../storage/sql-session';

/** A signed point of the log to rebuild the tree from: its size, compact range and signed note. */
export interface LogAnchor {
  size: number;
  range: CompactRange;
  /** The checkpoint or archive seal signing the range's root; null at size 0. */
  note: string | null;
}

/**
 * The newest signed point at or before `size`: a checkpoint or an archive cut (both store their
 * compact range and a signed note over its root). Leaves before an archive cut are gone from the
 * store, so the cut itself is where reading can start again.
 * @throws LogIntegrityError when the stored range does not match its signed root.
 */
export async function anchorAtOrBefore(
  db: SqlSession,
  size: number,
  trusted: SigningKeyRecord[],
  origin: string,
): Promise<LogAnchor> {
  const row = await signedPointAtOrBefore(db, size);
  if (!row || Number(row.size) === 0) return { size: 0, range: [], note: null };
  const range = row.range.map((h) => Buffer.from(h, 'hex'));
  const opened = openStatement(row.note, trusted, origin);
  if (
    !opened.ok ||
    opened.checkpoint.size !== Number(row.size) ||
    !opened.checkpoint.root.equals(rangeRoot(range))
  )
    throw new LogIntegrityError(
      `The signed point at tree size ${row.size} does not open or match its stored range: run \`audit-ledger verify\`.`,
    );
  return { size: Number(row.size), range, note: row.note };
}

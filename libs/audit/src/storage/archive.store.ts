import type { CompactRange } from '../crypto/compact-range';
import { entityKey } from '../crypto/head-map';
import { type SqlSession } from './sql-session';

/** The newest archive cut: leaves up to `size` left the live store; the log carries on from `range`. */
export interface ArchiveCut {
  size: number;
  range: CompactRange;
  /** The segment's seal: a checkpoint at `size` signed when the segment was written. */
  sealNote: string;
  manifestSha256: string;
}

/** A chain head at the cut, for chains whose earlier events are archived. */
export interface ArchivedHead {
  entityType: string;
  entityId: string;
  chainSeq: number;
  hash: Buffer;
}

export async function latestArchiveCut(db: SqlSession): Promise<ArchiveCut | null> {
  const rows = await db.raw<{
    rows: { to_seq: string; end_range: string[]; seal_note: string; manifest_sha256: string }[];
  }>(
    'select to_seq, end_range, seal_note, manifest_sha256 from audit.archive_segments order by to_seq desc limit 1',
  );
  const row = rows.rows[0];
  return row
    ? {
        size: Number(row.to_seq),
        range: row.end_range.map((h) => Buffer.from(h, 'hex')),
        sealNote: row.seal_note,
        manifestSha256: row.manifest_sha256,
      }
    : null;
}

const toHead = (r: {
  entity_type: string;
  entity_id: string;
  chain_seq: string;
  hash: Buffer;
}): ArchivedHead => ({
  entityType: r.entity_type,
  entityId: r.entity_id,
  chainSeq: Number(r.chain_seq),
  hash: r.hash,
});

/** Every entity's head at the newest cut (the latest row per entity), keyed by hex entity key. */
export async function archivedHeads(db: SqlSession): Promise<Map<string, ArchivedHead>> {
  const rows = await db.raw<{
    rows: { entity_type: string; entity_id: string; chain_seq: string; hash: Buffer }[];
  }>(
    `select distinct on (entity_type, entity_id) entity_type, entity_id, chain_seq, hash
     from audit.archive_heads order by entity_type, entity_id, cut_seq desc`,
  );
  return new Map(rows.rows.map((r) => [entityKey(r.entity_type, r.entity_id).toString('hex'), toHead(r)]));
}

/** One entity's head at the newest cut that archived any of its events, or null. */
export async function archivedHead(
  db: SqlSession,
  entityType: string,
  entityId: string,
): Promise<ArchivedHead | null> {
  const rows = await db.raw<{
    rows: { entity_type: string; entity_id: string; chain_seq: string; hash: Buffer }[];
  }>(
    `select entity_type, entity_id, chain_seq, hash from audit.archive_heads
     where entity_type = ? and entity_id = ? order by cut_seq desc limit 1`,
    [entityType, entityId],
  );
  return rows.rows[0] ? toHead(rows.rows[0]) : null;
}

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

/** What a monthly partition holds: its event count and global_seq span (null when empty). */
export interface PartitionStats {
  events: number;
  first: number | null;
  last: number | null;
}

/** The archive segment a run records once its bundle has been read back and verified. */
export interface NewArchiveSegment {
  partition: string;
  periodStart: Date;
  periodEnd: Date;
  fromSeq: number;
  toSeq: number;
  events: number;
  manifestSha256: string;
  previousManifestSha256: string | null;
  sealNote: string;
  endRange: CompactRange;
  location: string;
}

/** The names of the partitions attached to `audit.events`, sorted. */
export async function eventPartitionNames(db: SqlSession): Promise<string[]> {
  const rows = await db.raw<{ rows: { name: string }[] }>(
    `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
       where i.inhparent = 'audit.events'::regclass order by 1`,
  );
  return rows.rows.map((r) => r.name);
}

export async function partitionStats(db: SqlSession, partition: string): Promise<PartitionStats> {
  const [stats] = (
    await db.raw<{ rows: { events: string; first: string | null; last: string | null }[] }>(
      `select count(*) as events, min(global_seq) as first, max(global_seq) as last from "audit"."${partition}"`,
    )
  ).rows;
  return {
    events: Number(stats.events),
    first: stats.first === null ? null : Number(stats.first),
    last: stats.last === null ? null : Number(stats.last),
  };
}

/**
 * The forwarding sinks whose cursor is before `seq`, by sink name; none when forwarding's table
 * does not exist (a store that never forwarded).
 */
export async function sinksBehind(
  db: SqlSession,
  seq: number,
): Promise<{ sink: string; globalSeq: string }[]> {
  const table = await db.raw<{ rows: { t: string | null }[] }>(
    "select to_regclass('audit.forward_cursors')::text as t",
  );
  if (!table.rows[0].t) return [];
  const rows = await db.raw<{ rows: { sink: string; global_seq: string }[] }>(
    'select sink, global_seq from audit.forward_cursors where global_seq < ? order by sink',
    [seq],
  );
  return rows.rows.map((r) => ({ sink: r.sink, globalSeq: r.global_seq }));
}

export async function insertArchiveSegment(trx: SqlSession, segment: NewArchiveSegment): Promise<void> {
  await trx.raw(
    `insert into audit.archive_segments (partition_name, period_start, period_end, from_seq, to_seq, event_count,
       manifest_sha256, previous_manifest_sha256, seal_note, end_range, location)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?)`,
    [
      segment.partition,
      segment.periodStart,
      segment.periodEnd,
      segment.fromSeq,
      segment.toSeq,
      segment.events,
      segment.manifestSha256,
      segment.previousManifestSha256,
      segment.sealNote,
      JSON.stringify(segment.endRange.map((h) => h.toString('hex'))),
      segment.location,
    ],
  );
}

/** Records the head of every chain with events in `partition`, at the cut `cutSeq`. */
export async function insertArchiveHeads(trx: SqlSession, partition: string, cutSeq: number): Promise<void> {
  await trx.raw(
    `insert into audit.archive_heads (cut_seq, entity_type, entity_id, chain_seq, hash)
     select distinct on (entity_type, entity_id) ?::bigint, entity_type, entity_id, chain_seq, hash
     from "audit"."${partition}" order by entity_type, entity_id, chain_seq desc`,
    [cutSeq],
  );
}

export async function dropEventPartition(trx: SqlSession, partition: string): Promise<void> {
  await trx.raw(`alter table audit.events detach partition "audit"."${partition}"`);
  await trx.raw(`drop table "audit"."${partition}"`);
}

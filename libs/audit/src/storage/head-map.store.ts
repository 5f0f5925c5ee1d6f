import { type SqlSession } from './sql-session';
import { keyBits, MAX_DEPTH, type HeadMapNode } from '../crypto/head-map';

/** A node row that `toNode` reads as internal (not both leaf columns set). */
const INTERNAL = 'not (n.leaf_key is not null and n.head_hash is not null)';

interface NodeRow {
  prefix: string;
  hash: Buffer;
  leaf_key: Buffer | null;
  chain_seq: string | null;
  head_hash: Buffer | null;
}

/**
 * Loads the stored entity-heads map nodes on the paths of `keys` and their siblings: what
 * crypto/head-map needs to update or prove those keys, in one query that
 * walks each path down from the root while the node it reaches is internal.
 * NOTE: walked in the database rather than asked for by prefix down to a fixed depth: that was
 * about 130 prefixes a key whatever the map's depth (a checkpoint over 10,000 records sent a
 * million), and planning `prefix = any(…)` over them took seconds (5.6 s measured), where the
 * paths of a map of 20,000 records are about 16 nodes deep. A stored prefix of 256 bits ends a
 * walk, whatever the row says: an altered map cannot make it loop.
 */
export async function loadHeadMapPaths(db: SqlSession, keys: Buffer[]): Promise<Map<string, HeadMapNode>> {
  const nodes = new Map<string, HeadMapNode>();
  if (keys.length === 0) return nodes;
  const rows = await db.raw<{ rows: NodeRow[] }>(
    `with recursive walk(bits, prefix) as (
         select k.bits, '' from unnest(?::text[]) as k(bits)
         union all
         select w.bits, left(w.bits, length(w.prefix) + 1)
         from walk w join audit.head_map_nodes n on n.prefix = w.prefix
         where ${INTERNAL} and length(w.prefix) < ${MAX_DEPTH}),
       wanted as (
         select prefix from walk
         union
         select left(prefix, -1) || case right(prefix, 1) when '0' then '1' else '0' end
         from walk where prefix <> '')
       select n.prefix, n.hash, n.leaf_key, n.chain_seq, n.head_hash
       from audit.head_map_nodes n join wanted using (prefix)`,
    [[...new Set(keys.map(keyBits))]],
  );
  for (const row of rows.rows) nodes.set(row.prefix, toNode(row));
  return nodes;
}

/** Upserts nodes written by `applyHeadUpdates` (nothing is ever deleted from the map). */
export async function saveHeadMapNodes(db: SqlSession, nodes: HeadMapNode[]): Promise<void> {
  if (nodes.length === 0) return;
  await db.raw(
    `insert into audit.head_map_nodes (prefix, hash, leaf_key, chain_seq, head_hash)
     select prefix, decode(hash, 'hex'), decode(leaf_key, 'hex'), chain_seq, decode(head_hash, 'hex')
     from jsonb_to_recordset(?::jsonb) as r(prefix text, hash text, leaf_key text, chain_seq bigint, head_hash text)
     on conflict (prefix) do update set hash = excluded.hash, leaf_key = excluded.leaf_key,
       chain_seq = excluded.chain_seq, head_hash = excluded.head_hash`,
    [
      JSON.stringify(
        nodes.map((n) => ({
          prefix: n.prefix,
          hash: n.hash.toString('hex'),
          leaf_key: n.leaf?.key.toString('hex') ?? null,
          chain_seq: n.leaf?.chainSeq ?? null,
          head_hash: n.leaf?.headHash.toString('hex') ?? null,
        })),
      ),
    ],
  );
}

function toNode(row: NodeRow): HeadMapNode {
  return {
    prefix: row.prefix,
    hash: row.hash,
    leaf:
      row.leaf_key && row.head_hash
        ? { key: row.leaf_key, chainSeq: Number(row.chain_seq), headHash: row.head_hash }
        : null,
  };
}

import { type SqlSession } from './sql-session';
import { needsDeeper, pathPrefixes, type HeadMapNode } from '../crypto/head-map';

interface NodeRow {
  prefix: string;
  hash: Buffer;
  leaf_key: Buffer | null;
  chain_seq: string | null;
  head_hash: Buffer | null;
}

const FIRST_DEPTH = 64;

/**
 * Loads the stored entity-heads map nodes on the paths of `keys` and their siblings: what
 * crypto/head-map needs to update or prove those keys. One query per 64 levels of depth.
 */
export async function loadHeadMapPaths(db: SqlSession, keys: Buffer[]): Promise<Map<string, HeadMapNode>> {
  const nodes = new Map<string, HeadMapNode>();
  let todo = keys;
  for (let depth = FIRST_DEPTH, from = 0; todo.length > 0; from = depth, depth *= 2) {
    const prefixes = new Set(todo.flatMap((k) => pathPrefixes(k, depth).filter((p) => p.length >= from)));
    const rows = await db.raw<{ rows: NodeRow[] }>(
      'select prefix, hash, leaf_key, chain_seq, head_hash from audit.head_map_nodes where prefix = any(?)',
      [[...prefixes]],
    );
    for (const row of rows.rows) nodes.set(row.prefix, toNode(row));
    todo = todo.filter((k) => needsDeeper(nodes, k, depth));
  }
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

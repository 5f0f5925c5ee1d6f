/**
 * An in-memory log for the replay core's specs: sealing transactions over a few entities, signed
 * in format v1 or v2 exactly as the sealer signs them (prepareAppend's rules, without a database),
 * with checkpoints, as the leaves a verifier replays. Deterministic for a seed.
 */
import { hash } from 'node:crypto';
import { signCheckpoint } from '../../crypto/checkpoint';
import { appendLeaf, rangeRoot, type CompactRange } from '../../crypto/compact-range';
import { entityKey } from '../../crypto/head-map';
import { headLine, headsLine, movedHeads, movedLine, type EntityHead } from '../../crypto/log-statements';
import { merkleLeafHash } from '../../crypto/merkle';
import { formatVerifierKey, noteSignerFromSeed } from '../../crypto/signed-note';
import type { SigningKeyRecord } from '../../keys/signing-key-record';
import type { BatchEnd } from '../batch-statement';
import { TreeReplay, type TreeFailure } from '../tree-replay';

export const REPLAY_ORIGIN = 'audit-ledger/replay-test';
const T0 = Date.parse('2026-12-01T00:00:00.000Z');

/** One leaf as a verifier meets it: the event's stored position, hash and key, its batch, and what ends there. */
export interface ReplayLeaf {
  globalSeq: number;
  hash: Buffer;
  keyId: string;
  batchEnd: number;
  /** At a batch's last event: its statement and what it must vouch for. */
  batch: { note: string; end: BatchEnd } | null;
  /** Checkpoints cut at this size, oldest first. */
  checkpoints: string[];
}

/** A sealing transaction: how many events each of its entities gets, in order. */
export type Transaction = { entity: number; events: number }[];

export function replayKey(seed = 1): {
  signer: ReturnType<typeof noteSignerFromSeed>;
  key: SigningKeyRecord;
} {
  const signer = noteSignerFromSeed(REPLAY_ORIGIN, hash('sha256', `replay key ${seed}`, 'buffer'));
  const key: SigningKeyRecord = {
    keyId: signer.keyId.toString('hex'),
    keySetId: 'default',
    name: REPLAY_ORIGIN,
    algorithm: 'ed25519',
    verifierKey: formatVerifierKey(signer),
    notBefore: new Date(T0 - 86_400_000),
    notAfter: null,
    status: 'ACTIVE',
    compromisedAt: null,
  };
  return { signer, key };
}

/**
 * The leaves of `transactions` sealed in turn (format v1 before `v2From`, v2 from it on), with a
 * checkpoint after each transaction listed in `checkpointAfter`.
 */
export function buildLog(
  transactions: Transaction[],
  options: { v2From?: number; checkpointAfter?: number[] } = {},
): { leaves: ReplayLeaf[]; key: SigningKeyRecord } {
  const { signer, key } = replayKey();
  const v2From = options.v2From ?? 0;
  const checkpointAfter = new Set(options.checkpointAfter ?? []);
  const leaves: ReplayLeaf[] = [];
  const chains = new Map<number, number>();
  let range: CompactRange = [];
  let clock = T0;
  const sign = (extension: string) =>
    signCheckpoint(
      {
        origin: REPLAY_ORIGIN,
        size: leaves.length,
        root: rangeRoot(range),
        time: new Date(clock),
        extensions: [extension],
      },
      signer,
    );
  transactions.forEach((tx, t) => {
    clock += 1000;
    const groups = tx.map(({ entity, events }) => {
      const start = leaves.length;
      for (let i = 0; i < events; i++) {
        const seq = (chains.get(entity) ?? 0) + 1;
        chains.set(entity, seq);
        const eventHash = hash('sha256', `entity ${entity} event ${seq}`, 'buffer');
        range = appendLeaf(range, leaves.length, merkleLeafHash(eventHash));
        leaves.push({
          globalSeq: leaves.length + 1,
          hash: eventHash,
          keyId: key.keyId,
          batchEnd: start + events,
          batch: null,
          checkpoints: [],
        });
      }
      const head: EntityHead = {
        key: entityKey('Ledger', `e${entity}`),
        chainSeq: chains.get(entity)!,
        hash: leaves[leaves.length - 1].hash,
      };
      // v1 signs each group at its own end, as the tree is then.
      const note = t < v2From ? sign(headLine(head)) : null;
      return { end: leaves.length, head, note };
    });
    const tree = t >= v2From ? movedHeads(groups.map((g) => g.head)) : null;
    const shared = tree ? sign(movedLine(tree.moved)) : null;
    groups.forEach((g, i) => {
      leaves[g.end - 1].batch = {
        note: shared ?? g.note!,
        end: {
          keyId: key.keyId,
          treeSize: g.end,
          head: { key: g.head.key, chainSeq: g.head.chainSeq, hash: g.head.hash },
          moved: tree ? { index: i, proof: tree.proofs[i] } : null,
        },
      };
    });
    if (checkpointAfter.has(t)) {
      clock += 10;
      leaves[leaves.length - 1].checkpoints.push(sign(headsLine(hash('sha256', `heads ${t}`, 'buffer'))));
    }
  });
  return { leaves, key };
}

/**
 * Replays `leaves` through the core as LogVerifier does over rows: the stored positions must run
 * on without a gap (the one check that is the adapter's own), every leaf is appended, each
 * batch's statement is checked where its stored end is, checkpoints where they are cut.
 */
export function replay(leaves: ReplayLeaf[], trusted: SigningKeyRecord[], latest = T0 + 365 * 86_400_000) {
  const failures: (TreeFailure | { kind: 'sequence'; size: number; detail: string })[] = [];
  const tree = new TreeReplay({ size: 0, range: [] }, { origin: REPLAY_ORIGIN, trusted, latest }, (f) =>
    failures.push(f),
  );
  let lastSeq = 0;
  for (const leaf of leaves) {
    if (leaf.globalSeq !== lastSeq + 1)
      failures.push({ kind: 'sequence', size: lastSeq + 1, detail: `found global_seq ${leaf.globalSeq}` });
    lastSeq = leaf.globalSeq;
    tree.append(leaf.hash);
    tree.eventKey(leaf.batchEnd, leaf.keyId, leaf.globalSeq);
    // The key a batch's end names is the stored event's, as LogVerifier passes it.
    if (leaf.batchEnd === leaf.globalSeq)
      tree.batch(leaf.batch?.note ?? null, { ...(leaf.batch?.end ?? noEnd(leaf)), keyId: leaf.keyId });
    for (const note of leaf.checkpoints) tree.checkpoint(note);
    tree.settle();
  }
  tree.finish();
  return failures;
}

function noEnd(leaf: ReplayLeaf): BatchEnd {
  return {
    keyId: leaf.keyId,
    treeSize: leaf.batchEnd,
    head: { key: null, chainSeq: null, hash: leaf.hash },
    moved: null,
  };
}

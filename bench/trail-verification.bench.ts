import { createHash, hash } from 'node:crypto';
import {
  applyHeadUpdates,
  entityKey,
  headMapProof,
  type HeadMapNode,
  type HeadUpdate,
} from '../libs/audit/src/crypto/head-map';
import {
  canonicalJson,
  hashedEventFields,
  headLine,
  headsLine,
  noteSignerFromSeed,
  signCheckpoint,
  verifyChain,
} from '../libs/audit/src';
import { verifySignedTrail } from '../libs/audit/src/verification/signed-trail';
import { benchChain } from './bench-chain';
import { benchKey, median, type Figure } from './figure';

const ORIGIN = 'bench/log';

function time(iterations: number, fn: () => void): number {
  const runs: number[] = [];
  for (let r = 0; r < 7; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    runs.push(Number(process.hrtime.bigint() - start) / 1e6 / iterations);
  }
  return median(runs);
}

/**
 * Read-time verification of a 100-event trail, all in memory (the database reads aside): the
 * chain recomputed, the batch statement and the checkpoint opened (two Ed25519 checks), the
 * entity's proof in a heads map of 10,000 entities. Baseline: SHA-256 alone over the same
 * canonical bytes, measured in the same run.
 */
export function trailVerification(): Figure[] {
  const signer = noteSignerFromSeed(ORIGIN, Buffer.alloc(32, 1));
  const keyId = signer.keyId.toString('hex');
  const key = benchKey(signer);
  const events = benchChain(100).map((e) => ({ ...e, keyId }));
  const last = events[events.length - 1];
  const nodes = new Map<string, HeadMapNode>();
  const heads: HeadUpdate[] = Array.from({ length: 10_000 }, (_, i) => ({
    key: entityKey('User', i === 0 ? 'u1' : `other-${i}`),
    chainSeq: i === 0 ? 100 : 1,
    headHash: i === 0 ? Buffer.from(last.hash, 'hex') : createHash('sha256').update(String(i)).digest(),
  }));
  const { root: headsRoot, written } = applyHeadUpdates(nodes, heads);
  for (const n of written) nodes.set(n.prefix, n);
  const root = createHash('sha256').update('tree').digest();
  const entity = entityKey('User', 'u1');
  const batchNote = signCheckpoint(
    {
      origin: ORIGIN,
      size: 100,
      root,
      time: new Date(),
      extensions: [headLine({ key: entity, chainSeq: 100, hash: Buffer.from(last.hash, 'hex') })],
    },
    signer,
  );
  const checkpointNote = signCheckpoint(
    { origin: ORIGIN, size: 100, root, time: new Date(), extensions: [headsLine(headsRoot)] },
    signer,
  );
  const evidence = {
    entityKey: entity,
    batchNote,
    checkpointNote,
    mapProof: headMapProof(nodes, entity),
    witnessNote: checkpointNote,
    witnessHeld: true,
    trusted: [key],
    origin: ORIGIN,
    now: new Date(),
    maxClockSkewMs: 300_000,
  };
  const check = () => {
    const chain = verifyChain(events, { lastSeq: 100, lastHash: Buffer.from(last.hash, 'hex') });
    const signed = verifySignedTrail(events, evidence);
    if (!chain.valid || signed.length > 0)
      throw new Error(`bench trail does not verify: ${JSON.stringify(signed)}`);
  };
  const canonical = events.map((e) =>
    canonicalJson(hashedEventFields(e, e.chainSeq, Buffer.from(e.prevHash, 'hex'))),
  );
  const baseline = time(200, () => {
    for (const bytes of canonical) hash('sha256', bytes, 'buffer');
  });
  const measured = time(200, check);
  return [
    {
      name: 'read-time verification of a 100-event trail (CPU)',
      value: measured,
      unit: 'ms',
      baseline,
      ratio: measured / baseline,
      target: 1,
      met: measured < 1,
    },
  ];
}

import { verifyHeadMapProof, type HeadMapProof } from '../crypto/head-map';
import { parseHeadsLine } from '../crypto/log-statements';
import type { SealedAuditEvent } from '../events/audit-event';
import type { SigningKeyRecord } from '../keys/signing-key-record';
import type { ChainFailure } from './chain-verification';
import { openStatement } from './signed-statement';
import { checkBatchStatement, type BatchEnd } from './batch-statement';
import { InvalidHeadMapProofError } from '../errors/invalid-head-map-proof.error';

/** What ties an entity's chain to signed data, loaded in one snapshot of the database. */
export interface TrailEvidence {
  /** head-map `entityKey` of the entity. */
  entityKey: Buffer;
  /**
   * The batch of the chain's last event (`audit.batches`): its statement, its v2 proof, and the
   * chain_seq it records (unsigned: only names a failure the statement already shows).
   */
  batch: { note: string; headSeq: number; moved: BatchEnd['moved'] } | null;
  /** The database's latest checkpoint and the entity's heads-map proof under it. */
  checkpointNote: string | null;
  mapProof: HeadMapProof | null;
  /** The witness's latest checkpoint, and whether the database holds that exact note. */
  witnessNote: string | null;
  witnessHeld: boolean;
  /** The chain's head at the newest archive cut, when its earlier events were archived. */
  archived?: { chainSeq: number; hash: Buffer } | null;
  /** The keys the witness published: the only ones trusted. */
  trusted: SigningKeyRecord[];
  origin: string;
  now: Date;
  maxClockSkewMs: number;
}

type Fail = (
  chainSeq: number,
  eventId: string | null,
  reason: ChainFailure['reason'],
  detail: string,
) => void;

/**
 * The signed half of read-time verification, after the chain itself was recomputed: every event
 * names a trusted key; the last event's batch statement is validly signed and names the chain's
 * end; the latest checkpoint is signed, not newer than the clock allows, not older than the
 * witness's, and its heads map proves where this chain stood: a chain that now ends earlier was
 * truncated, one with another hash there was rewritten. Two or three signature checks, whatever
 * the chain's length.
 */
export function verifySignedTrail(events: SealedAuditEvent[], evidence: TrailEvidence): ChainFailure[] {
  const failures: ChainFailure[] = [];
  const fail: Fail = (chainSeq, eventId, reason, detail) =>
    failures.push({ chainSeq, eventId, reason, detail });
  const trustedIds = new Set(evidence.trusted.map((k) => k.keyId));
  // One statement signs a batch: its events name one key (the last batch's is checked against it).
  const batchKeys = new Map<number, string>();
  for (const e of events) {
    if (!e.keyId || e.batchTreeSize === null) {
      fail(e.chainSeq, e.id, 'UNSIGNED', 'the event names no signing key or batch');
      continue;
    }
    if (!trustedIds.has(e.keyId)) fail(e.chainSeq, e.id, 'UNKNOWN_KEY', `key ${e.keyId} was never published`);
    const named = batchKeys.get(e.batchTreeSize);
    if (named === undefined) batchKeys.set(e.batchTreeSize, e.keyId);
    else if (named !== e.keyId)
      fail(
        e.chainSeq,
        e.id,
        'BAD_SIGNATURE',
        `the event names key ${e.keyId}, its batch's other events ${named}`,
      );
  }
  const last = events[events.length - 1];
  if (last?.keyId && last.batchTreeSize !== null)
    checkBatch(last, { keyId: last.keyId, treeSize: last.batchTreeSize }, evidence, fail);
  checkCheckpoint(events, evidence, fail);
  return failures;
}

function checkBatch(
  last: SealedAuditEvent,
  batchOf: { keyId: string; treeSize: number },
  evidence: TrailEvidence,
  fail: Fail,
): void {
  if (!evidence.batch) {
    fail(last.chainSeq, last.id, 'UNSIGNED', `batch ${last.batchTreeSize} has no signed statement`);
    return;
  }
  const opened = openStatement(evidence.batch.note, evidence.trusted, evidence.origin);
  if (!opened.ok) {
    fail(last.chainSeq, last.id, opened.reason, `batch statement: ${opened.detail}`);
    return;
  }
  const verdict = checkBatchStatement(
    { checkpoint: opened.checkpoint, keyId: opened.key.keyId },
    {
      ...batchOf,
      head: { key: evidence.entityKey, chainSeq: last.chainSeq, hash: Buffer.from(last.hash, 'hex') },
      moved: evidence.batch.moved,
    },
  );
  if (verdict.ok) return;
  // v2 proves the head without naming it: the stored row says whether it was a later one.
  const later =
    verdict.reason === 'TRUNCATED' ||
    (verdict.reason === 'HEAD_MISMATCH' && evidence.batch.headSeq > last.chainSeq);
  if (later)
    fail(
      last.chainSeq + 1,
      null,
      'TRUNCATED',
      verdict.reason === 'TRUNCATED'
        ? verdict.detail
        : `the last batch ends at chain_seq ${evidence.batch.headSeq}; the chain ends at ${last.chainSeq}`,
    );
  else if (verdict.reason === 'MALFORMED' || verdict.reason === 'KEY_MISMATCH')
    fail(last.chainSeq, last.id, 'BAD_SIGNATURE', verdict.detail);
  else
    fail(
      last.chainSeq,
      last.id,
      'SIGNED_HEAD_MISMATCH',
      `the signed batch statement names another chain head (${verdict.reason}: ${verdict.detail})`,
    );
}

function checkCheckpoint(events: SealedAuditEvent[], evidence: TrailEvidence, fail: Fail): void {
  const end = (events[events.length - 1]?.chainSeq ?? evidence.archived?.chainSeq ?? 0) + 1;
  if (evidence.witnessNote && !evidence.witnessHeld) {
    fail(
      end,
      null,
      'CHECKPOINT_MISSING',
      "the database lacks the witness's latest checkpoint: rolled back or deleted",
    );
  }
  if (!evidence.checkpointNote) {
    if (evidence.witnessNote) fail(end, null, 'CHECKPOINT_MISSING', 'the database holds no checkpoint');
    return;
  }
  const opened = openStatement(evidence.checkpointNote, evidence.trusted, evidence.origin);
  if (!opened.ok) {
    fail(end, null, opened.reason, `checkpoint: ${opened.detail}`);
    return;
  }
  const { checkpoint } = opened;
  if (checkpoint.time.getTime() > evidence.now.getTime() + evidence.maxClockSkewMs) {
    fail(
      end,
      null,
      'CHECKPOINT_INVALID',
      `the latest checkpoint is dated in the future (${checkpoint.time.toISOString()})`,
    );
    return;
  }
  let value;
  try {
    if (!evidence.mapProof) throw new InvalidHeadMapProofError('no heads-map proof');
    value = verifyHeadMapProof(parseHeadsLine(checkpoint.extensions), evidence.entityKey, evidence.mapProof);
  } catch (error) {
    fail(end, null, 'CHECKPOINT_INVALID', `heads map: ${(error as Error).message}`);
    return;
  }
  if (!value) {
    const covered = events.find((e) => e.globalSeq <= checkpoint.size);
    if (covered) {
      fail(covered.chainSeq, covered.id, 'CHECKPOINT_INVALID', 'the checkpoint does not know this entity');
    }
    return;
  }
  // The checkpoint may commit to the archived head while newer events are live (sealed after it):
  // the archive cut's hash is then the one to compare, not a live event's. A head older still is
  // inside the segment, which its own seal covers (verify --bundle).
  const archived = evidence.archived;
  if (archived && value.chainSeq <= archived.chainSeq) {
    if (value.chainSeq === archived.chainSeq && !archived.hash.equals(value.headHash))
      fail(
        value.chainSeq,
        null,
        'SIGNED_HEAD_MISMATCH',
        'the checkpoint commits to another head than the archive cut',
      );
    return;
  }
  const committed = events[value.chainSeq - (events[0]?.chainSeq ?? 1)];
  if (!committed || committed.chainSeq !== value.chainSeq) {
    fail(
      Math.min(end, value.chainSeq),
      null,
      'TRUNCATED',
      `the checkpoint at size ${checkpoint.size} commits to chain_seq ${value.chainSeq}; the chain ends at ${end - 1}`,
    );
  } else if (committed.hash !== value.headHash.toString('hex')) {
    fail(value.chainSeq, committed.id, 'SIGNED_HEAD_MISMATCH', 'the checkpoint commits to another hash here');
  }
}

import { statedCheckpoint } from '../crypto/checkpoint';
import { WitnessAheadOfStoreError, type WitnessedAhead } from '../errors/witness-ahead-of-store.error';
import { checkpointByNote, latestCheckpoint, logSize } from '../storage/log.store';
import type { AuditWitness } from './audit-witness';
import { type SqlSession } from '../storage/sql-session';

/**
 * Throws WitnessAheadOfStoreError when the witness holds a checkpoint the store has no copy of:
 * the store cannot extend it (recreated, or restored from an older backup). Run when a worker
 * starts, before a key is published or anything signed, so this, not the witness refusing a
 * key or a checkpoint, is what an operator reads. NOTE: the witness is read before the store: a
 * checkpoint is committed before it is published, so one another worker publishes meanwhile is
 * found.
 */
export async function assertStoreExtendsWitness(
  db: SqlSession,
  witness: AuditWitness,
  logOrigin: string,
): Promise<void> {
  const held = await witness.latest();
  if (held === null || (await checkpointByNote(db, held))) return;
  const { origin, size } = statedCheckpoint(held);
  throw await witnessAhead(db, witness, logOrigin, { kind: 'checkpoint', origin, size });
}

/**
 * Throws WitnessAheadOfStoreError when the witness already published `keyId`, a key the store
 * does not know: publishing it again, with a new notBefore, would be refused as a change of a
 * published key. The store lost the key's record: recreated, or restored from an older backup.
 */
export async function assertKeyUnpublished(
  db: SqlSession,
  witness: AuditWitness,
  logOrigin: string,
  keyId: string,
): Promise<void> {
  const published = (await witness.keys()).find((k) => k.keyId === keyId);
  if (!published) return;
  const { name, notBefore } = published;
  throw await witnessAhead(db, witness, logOrigin, { kind: 'key', keyId, name, notBefore });
}

async function witnessAhead(
  db: SqlSession,
  witness: AuditWitness,
  logOrigin: string,
  witnessed: WitnessedAhead,
): Promise<WitnessAheadOfStoreError> {
  const newest = await latestCheckpoint(db);
  return new WitnessAheadOfStoreError({
    witness: witness.describe?.() ?? 'the configured witness',
    logOrigin,
    witnessed,
    storeSize: await logSize(db),
    storeCheckpointSize: newest ? Number(newest.tree_size) : null,
  });
}

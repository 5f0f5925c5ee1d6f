import { openCheckpoint, type Checkpoint } from '../crypto/checkpoint';
import { parseVerifierKey, signatureKeyIds } from '../crypto/signed-note';
import { keyRejection, type KeyRejection } from '../keys/key-validity';
import type { SigningKeyRecord } from '../keys/signing-key-record';

/** Why a signed statement (batch statement or checkpoint) is not accepted. */
export type StatementRejection = 'UNKNOWN_KEY' | 'BAD_SIGNATURE' | KeyRejection;

export type OpenedStatement =
  | { ok: true; checkpoint: Checkpoint; key: SigningKeyRecord }
  | { ok: false; reason: StatementRejection; detail: string };

/**
 * Opens a batch statement or checkpoint against the trusted keys: signed by one of them, well
 * formed, for this log, and dated inside the key's validity window (before any compromise).
 * Costs one Ed25519 verification. Never throws.
 */
export function openStatement(note: string, trusted: SigningKeyRecord[], origin: string): OpenedStatement {
  const ids = signatureKeyIds(note);
  const key = trusted.find((k) => ids.includes(k.keyId));
  if (!key) {
    return {
      ok: false,
      reason: 'UNKNOWN_KEY',
      detail: `signed by ${ids.join(', ') || 'no key'}, none of them a published key`,
    };
  }
  let checkpoint: Checkpoint;
  try {
    checkpoint = openCheckpoint(note, [parseVerifierKey(key.verifierKey)]).checkpoint;
  } catch (error) {
    return { ok: false, reason: 'BAD_SIGNATURE', detail: (error as Error).message };
  }
  if (checkpoint.origin !== origin) {
    return {
      ok: false,
      reason: 'BAD_SIGNATURE',
      detail: `signed for another log: origin "${checkpoint.origin}" is not "${origin}"`,
    };
  }
  const rejection = keyRejection(key, checkpoint.time);
  if (rejection) {
    return {
      ok: false,
      reason: rejection,
      detail: `key ${key.keyId} (${key.status}) may not sign at ${checkpoint.time.toISOString()}`,
    };
  }
  return { ok: true, checkpoint, key };
}

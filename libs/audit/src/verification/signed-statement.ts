import { openCheckpoint, type Checkpoint } from '../crypto/checkpoint';
import {
  noteSignaturesValid,
  parseVerifierKey,
  signatureKeyIds,
  type NoteVerifier,
} from '../crypto/signed-note';
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
export function openStatement(
  note: string,
  trusted: SigningKeyRecord[],
  origin: string,
  /** Statements whose signature `statementsVerifiedAhead` checked already. */
  verifiedAhead?: ReadonlySet<string>,
): OpenedStatement {
  const key = signingKey(note, trusted);
  if (!key) {
    return {
      ok: false,
      reason: 'UNKNOWN_KEY',
      detail: `signed by ${signatureKeyIds(note).join(', ') || 'no key'}, none of them a published key`,
    };
  }
  let checkpoint: Checkpoint;
  try {
    checkpoint = openCheckpoint(note, [verifierOf(key)], verifiedAhead).checkpoint;
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

// Parsing a verifier key costs a SHA-256 and more than the rest of opening a statement, and a log
// verification opens one statement every few events, under the same few keys.
const verifiers = new Map<string, NoteVerifier>();

function verifierOf(key: SigningKeyRecord): NoteVerifier {
  let verifier = verifiers.get(key.verifierKey);
  if (!verifier) {
    verifier = parseVerifierKey(key.verifierKey);
    verifiers.set(key.verifierKey, verifier);
  }
  return verifier;
}

/** The trusted key a statement names in its signatures, if any. */
function signingKey(note: string, trusted: SigningKeyRecord[]): SigningKeyRecord | undefined {
  const ids = signatureKeyIds(note);
  return trusted.find((k) => ids.includes(k.keyId));
}

/**
 * The statements among `notes` whose signature by the trusted key they name is valid, checked in
 * libuv's thread pool, for `openStatement`'s `verifiedAhead`: a full verification opens one
 * batch statement every few events, and Ed25519 costs more than hashing them.
 */
export async function statementsVerifiedAhead(
  notes: string[],
  trusted: SigningKeyRecord[],
): Promise<Set<string>> {
  const verified = new Set<string>();
  // A v2 statement is stored with each batch of its transaction: checked once.
  await Promise.all(
    [...new Set(notes)].map(async (note) => {
      const key = signingKey(note, trusted);
      let verifier;
      try {
        verifier = key && verifierOf(key);
      } catch {
        return; // a key that does not parse verifies nothing: openStatement reports it
      }
      if (verifier && (await noteSignaturesValid(note, [verifier]))) verified.add(note);
    }),
  );
  return verified;
}

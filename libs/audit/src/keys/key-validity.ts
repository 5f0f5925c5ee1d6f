import type { SigningKeyRecord } from './signing-key-record';

/** Why a signature by a known key is not accepted. */
export type KeyRejection = 'KEY_NOT_YET_VALID' | 'KEY_EXPIRED' | 'KEY_COMPROMISED';

/**
 * Whether a signature dated `signedAt` by this key counts: inside the key's validity window and
 * before any compromise. A retired key keeps verifying what it signed while it was valid; this
 * is what stops anyone re-signing old history with a newer key.
 */
export function keyRejection(key: SigningKeyRecord, signedAt: Date): KeyRejection | null {
  const t = signedAt.getTime();
  if (key.compromisedAt && t >= key.compromisedAt.getTime()) return 'KEY_COMPROMISED';
  if (t < key.notBefore.getTime()) return 'KEY_NOT_YET_VALID';
  if (key.notAfter && t > key.notAfter.getTime()) return 'KEY_EXPIRED';
  return null;
}

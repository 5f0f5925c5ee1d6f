/** Lifecycle of a signing key: ACTIVE signs, RETIRED only verifies, COMPROMISED verifies only what it signed before `compromisedAt`. */
export type SigningKeyStatus = 'ACTIVE' | 'RETIRED' | 'COMPROMISED';

/**
 * The public half of a signing key, as stored in `audit.signing_keys` and published to the
 * witness. Never holds private material.
 */
export interface SigningKeyRecord {
  /** The signed-note key hash: 8 lower-case hex digits. */
  keyId: string;
  keySetId: string;
  /** The signed-note key name: the log origin. */
  name: string;
  algorithm: 'ed25519';
  /** `<name>+<hex key id>+<base64(0x01 || public key)>`. */
  verifierKey: string;
  /** Signatures dated before this fail. */
  notBefore: Date;
  /** Signatures dated after this fail (set when the key is retired); null while active. */
  notAfter: Date | null;
  status: SigningKeyStatus;
  /** Signatures dated at or after this fail; set when the key is marked compromised. */
  compromisedAt: Date | null;
}

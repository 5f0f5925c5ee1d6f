import type { NoteSigner } from '../crypto/signed-note';

/**
 * Where signing keys live. The library only ever holds private keys in memory: it never writes
 * them to the database, a log line or an error message. Implement this for a KMS or HSM; the
 * built-in providers read a key directory (DirectoryKeyProvider) or environment variables
 * (EnvKeyProvider).
 */
export interface AuditKeyProvider {
  /** Every private key this provider holds. */
  signers(): Promise<NoteSigner[]>;
  /**
   * Creates and keeps a new Ed25519 key named `name` (key rotation).
   * @throws when the provider cannot create keys (then rotation means supplying a new key).
   */
  createSigner(name: string): Promise<NoteSigner>;
  /** Destroys the private half of a retired or compromised key, where the provider can. */
  destroySigner(keyId: string): Promise<void>;
}

import type { SigningKeyRecord } from '../keys/signing-key-record';

/**
 * A store outside the database's trust domain that holds the latest signed checkpoint and the
 * published signing keys. Whoever can write the database cannot write here, so rolling the
 * database back, deleting its newest checkpoints or planting a key there is caught by comparing
 * against the witness. The built-in implementation is a directory (DirectoryWitness); a remote
 * witness (C2SP tlog-witness, an object store with compare-and-swap) implements this interface.
 */
export interface AuditWitness {
  /** The latest checkpoint the witness accepted (a signed note), or null before the first. */
  latest(): Promise<string | null>;

  /**
   * Accepts `next` only if the witness still holds `expected` (compare-and-swap; null for the
   * first checkpoint), `next` is signed by a published key valid at its timestamp, has the same
   * origin, a size not smaller, a timestamp not earlier (and not in the future), and `proof` is
   * an RFC 9162 consistency proof from the held checkpoint to `next`.
   * @throws WitnessConflictError when the held checkpoint is not `expected`.
   * @throws WitnessRejectedError when `next` is not a consistent, validly signed successor.
   */
  submit(next: string, expected: string | null, proof: Buffer[]): Promise<void>;

  /** Every key the witness trusts, as published. */
  keys(): Promise<SigningKeyRecord[]>;

  /**
   * Publishes a new key or a change of an existing key's lifecycle. A key's public key never
   * changes; status only moves forward (ACTIVE → RETIRED → COMPROMISED, or ACTIVE → COMPROMISED);
   * `notAfter` and `compromisedAt` are set once.
   * @throws WitnessRejectedError for any other change.
   */
  publishKey(key: SigningKeyRecord): Promise<void>;

  /** Where the witness is, for operators' messages (e.g. `directory /srv/witness`). Optional. */
  describe?(): string;
}

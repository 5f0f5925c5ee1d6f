import type { SigningKeyRecord, SigningKeyStatus } from './signing-key-record';

/** A row of `audit.signing_keys`. */
export interface SigningKeyRow {
  key_id: string;
  key_set_id: string;
  name: string;
  algorithm: string;
  verifier_key: string;
  not_before: Date;
  not_after: Date | null;
  status: string;
  compromised_at: Date | null;
}

export function toKeyRecord(row: SigningKeyRow): SigningKeyRecord {
  return {
    keyId: row.key_id,
    keySetId: row.key_set_id,
    name: row.name,
    algorithm: 'ed25519',
    verifierKey: row.verifier_key,
    notBefore: new Date(row.not_before),
    notAfter: row.not_after && new Date(row.not_after),
    status: row.status as SigningKeyStatus,
    compromisedAt: row.compromised_at && new Date(row.compromised_at),
  };
}

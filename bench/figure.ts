import { formatVerifierKey, type NoteSigner, type SigningKeyRecord } from '../libs/audit/src';

/** One benchmark figure: the measured value, the baseline measured in the same run, their ratio, the target. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  baseline: number;
  ratio: number;
  target: number;
  met: boolean;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** An active key record for a bench signer, valid since the epoch. */
export function benchKey(signer: NoteSigner): SigningKeyRecord {
  return {
    keyId: signer.keyId.toString('hex'),
    keySetId: 'default',
    name: signer.name,
    algorithm: 'ed25519',
    verifierKey: formatVerifierKey(signer),
    notBefore: new Date(0),
    notAfter: null,
    status: 'ACTIVE',
    compromisedAt: null,
  };
}

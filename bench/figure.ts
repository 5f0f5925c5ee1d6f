import { formatVerifierKey, type NoteSigner, type SigningKeyRecord } from 'audit-ledger';

/** One benchmark figure: the measured value, the baseline measured in the same run, their ratio, the target. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  baseline: number;
  /** value / baseline. */
  ratio: number;
  /** The bound to meet; null for a figure that only serves as the baseline of others. */
  target: number | null;
  /** What `target` bounds: the value (in `unit`) or the ratio. Default: the value. */
  targetOf?: 'value' | 'ratio';
  /** Lower is better (met below `target`: times) or higher (met at or above it: rates). Default: lower. */
  better?: 'lower' | 'higher';
  /** Null when there is no target. */
  met: boolean | null;
}

/** What `npm run bench` passes every scenario. */
export interface BenchOptions {
  /**
   * `--quick`: a smoke run of every scenario in under 2 minutes (smaller volumes, one round);
   * its figures show that the code paths work, not what the machine can do.
   */
  quick: boolean;
}

export function median(values: number[]): number {
  return percentile(values, 0.5);
}

/** The nearest-rank percentile (`p` in 0…1) of `values`. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
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

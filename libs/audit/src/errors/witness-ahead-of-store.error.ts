import { AuditError } from './audit.error';

/** What the witness holds that the store lacks: its checkpoint, or a key it published. */
export type WitnessedAhead =
  | { kind: 'checkpoint'; origin: string; size: number }
  | { kind: 'key'; keyId: string; name: string; notBefore: Date };

/** The facts a WitnessAheadOfStoreError reports. */
export interface WitnessAheadOfStore {
  /** Where the witness is, as its `describe()` says (e.g. `directory /srv/witness`). */
  witness: string;
  /** This log's origin (the `logOrigin` option). */
  logOrigin: string;
  /** What the witness holds that the store lacks. */
  witnessed: WitnessedAhead;
  /** How many events the store's log holds (`log_head.tree_size`). */
  storeSize: number;
  /** The tree size of the store's newest checkpoint, or null when it has none. */
  storeCheckpointSize: number | null;
}

function whatTheWitnessHolds({ witness, witnessed: w, logOrigin }: WitnessAheadOfStore): string {
  if (w.kind === 'key') {
    return `The witness (${witness}) holds signing key ${w.name}+${w.keyId}, published with notBefore ${w.notBefore.toISOString()}`;
  }
  const foreign =
    w.origin === logOrigin ? '' : ` (this log's origin is "${logOrigin}": is it another log's witness?)`;
  return `The witness (${witness}) holds a checkpoint of origin "${w.origin}" at tree size ${w.size}${foreign}`;
}

function whatTheStoreHolds({ witnessed, storeSize, storeCheckpointSize }: WitnessAheadOfStore): string {
  const lacks = witnessed.kind === 'key' ? 'does not know that key' : 'lacks that checkpoint';
  const newest =
    storeCheckpointSize === null
      ? 'it has no checkpoint'
      : `its newest checkpoint is at tree size ${storeCheckpointSize}`;
  return `the database holds ${storeSize} event(s) and ${lacks} (${newest})`;
}

/**
 * The witness holds a checkpoint (or a published key) that the database cannot extend: the
 * database was recreated, or restored from a backup older than what the witness holds. Thrown
 * when a sealing worker starts, before it publishes or signs anything. Nothing tells a
 * developer's recreated database from a production rollback, so the message says what to do in
 * each; the CLI exits with 1 (an integrity problem), not 4, so no script takes the alarm for a
 * configuration slip.
 */
export class WitnessAheadOfStoreError extends AuditError {
  readonly code = 'AUDIT_WITNESS_AHEAD';

  constructor(readonly facts: WitnessAheadOfStore) {
    const lost =
      facts.witnessed.kind === 'key'
        ? 'that key'
        : `the witnessed checkpoint (tree size ${facts.witnessed.size})`;
    super(
      `${whatTheWitnessHolds(facts)}, but ${whatTheStoreHolds(facts)}: the database was recreated, or ` +
        'restored from an older backup, after the witness recorded it, so it cannot extend what was witnessed. ' +
        'The sealing worker will not start, nor sign anything, on it. ' +
        'In development (a recreated database): point the `witness` option (AUDIT_WITNESS_DIR) at a fresh ' +
        'witness directory, or delete the old one; the key directory (AUDIT_KEY_DIR) may stay. ' +
        'In production, do not: this is the rollback alarm, the witness remembering a log the database has ' +
        `lost. Restore the database to a state that includes ${lost}, or investigate (audit-ledger verify) ` +
        'before anything is signed again.',
    );
  }
}

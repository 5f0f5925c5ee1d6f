import type { LogVerification } from '../api/audit-queries';

/** A log verification run: its result, when, and by whom (null: this browser, just now). */
export interface VerificationRun {
  at: string;
  by: string | null;
  result: LogVerification;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/**
 * The run an `audit.log_verification` event records (its metadata, docs/viewer.md), or null when
 * the metadata is not such a result: the viewer shows what the ledger says, never a guess.
 */
export function recordedRun(event: {
  occurredAt: string;
  actor: { id: string; display: string | null };
  metadata: unknown;
}): VerificationRun | null {
  const m = event.metadata as Record<string, unknown> | null;
  if (
    !m ||
    typeof m.valid !== 'boolean' ||
    typeof m.mode !== 'string' ||
    ![m.treeSize, m.witnessedSize, m.checkedEvents, m.checkedCheckpoints].every(isCount) ||
    !Array.isArray(m.failures)
  )
    return null;
  const failures = (m.failures as Record<string, unknown>[]).map((f) => ({
    reason: typeof f?.reason === 'string' ? f.reason : 'UNKNOWN',
    globalSeq: typeof f?.globalSeq === 'number' ? f.globalSeq : null,
    detail: typeof f?.detail === 'string' ? f.detail : '',
  }));
  return {
    at: event.occurredAt,
    by: event.actor.display ?? event.actor.id,
    result: {
      valid: m.valid,
      mode: m.mode,
      treeSize: m.treeSize as number,
      witnessedSize: m.witnessedSize as number,
      checkedEvents: m.checkedEvents as number,
      checkedCheckpoints: m.checkedCheckpoints as number,
      failures,
    },
  };
}

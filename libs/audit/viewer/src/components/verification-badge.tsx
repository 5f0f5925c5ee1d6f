import type { ChainVerification } from '../api/audit-queries';
import { firstBadSeq } from '../lib/trail-loader';

/** Whether the trail shown is intact: green with what was checked, or red naming the first bad event. */
export function VerificationBadge({ verification }: { verification: ChainVerification }) {
  const bad = firstBadSeq(verification);
  if (bad === null)
    return (
      <p class="badge badge-valid" role="status" data-valid="true">
        <span aria-hidden="true">✔ </span>Verified: {verification.checkedEvents} events checked, chain head at
        #{verification.headSeq}
      </p>
    );
  const failure = verification.failures.find((f) => f.chainSeq === bad) ?? verification.failures[0];
  return (
    <div class="badge badge-tampered" role="alert" data-valid="false" data-chain-seq={bad}>
      <p>
        <span aria-hidden="true">✖ </span>
        <strong>Tampered</strong>: verification fails at event #{bad}
        {failure ? ` (${failure.reason})` : ''}. This event and every later one are unverified.
      </p>
      {failure?.detail && <p class="badge-detail">{failure.detail.slice(0, 300)}</p>}
    </div>
  );
}

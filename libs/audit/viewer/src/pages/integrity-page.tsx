import { useState } from 'preact/hooks';
import type { PageProps } from '../page-props';
import { ApiError } from '../api/api-error';
import { auditCheckpoints, auditKeys, lastRecordedVerification, verifyLog } from '../api/audit-queries';
import { ErrorMessage, Loading } from '../components/error-message';
import { TableRegion } from '../components/table-region';
import { timeText } from '../lib/format';
import { recordedRun, type VerificationRun } from '../lib/last-verification';
import { useAsync } from '../lib/use-async';
import { TableHead } from '../components/table-head';

function VerificationResult({ entry }: { entry: VerificationRun }) {
  const { result } = entry;
  return (
    <div
      class={result.valid ? 'badge badge-valid' : 'badge badge-tampered'}
      data-valid={String(result.valid)}
    >
      <p>
        <strong>{result.valid ? 'Valid' : 'Invalid'}</strong> ({result.mode}, run{' '}
        {entry.by === null ? 'from this page' : `by ${entry.by}`} at{' '}
        <time dateTime={entry.at}>{timeText(entry.at)}</time>): {result.checkedEvents} events and{' '}
        {result.checkedCheckpoints} checkpoints checked; tree size {result.treeSize}, of which the witness
        covers {result.witnessedSize}.
      </p>
      {result.failures.length > 0 && (
        <ul>
          {result.failures.slice(0, 20).map((f, i) => (
            <li key={i}>
              {f.reason}
              {f.globalSeq !== null ? ` at global #${f.globalSeq}` : ''}: {String(f.detail).slice(0, 300)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Checkpoints, signing keys, and the full verification of the log against the witness. */
export function IntegrityPage({ onSignIn }: PageProps) {
  const keys = useAsync(auditKeys, 'keys');
  const checkpoints = useAsync(() => auditCheckpoints(10), 'checkpoints');
  // The last run the ledger recorded (every run is sealed as an audit.log_verification event),
  // until one is run from this page.
  const recorded = useAsync(lastRecordedVerification, 'the last verification');
  const [ran, setRan] = useState<VerificationRun | null>(null);
  const last = ran ?? (recorded.status === 'done' && recorded.data ? recordedRun(recorded.data) : null);
  const [run, setRun] = useState<{ running: boolean; error: ApiError | null }>({
    running: false,
    error: null,
  });
  const verify = () => {
    setRun({ running: true, error: null });
    verifyLog().then(
      (result) => {
        setRan({ at: new Date().toISOString(), by: null, result });
        setRun({ running: false, error: null });
      },
      (error: unknown) =>
        setRun({
          running: false,
          error: error instanceof ApiError ? error : new ApiError('VIEWER_ERROR', 'The verification failed.'),
        }),
    );
  };
  return (
    <>
      <h1>Integrity</h1>
      <section aria-labelledby="verify-heading">
        <h2 id="verify-heading">Full verification</h2>
        {last ? (
          <VerificationResult entry={last} />
        ) : (
          <p>
            No log verification is recorded in the ledger yet
            {recorded.status === 'loading' ? ' (loading…)' : ''}.
          </p>
        )}
        {/* NOTE: verifyAuditLog and auditCheckpoints share one rule (global auditors only): the
            button is offered to whoever may read the checkpoints. */}
        {checkpoints.status === 'done' && (
          <p>
            <button type="button" onClick={verify} disabled={run.running}>
              {run.running ? 'Verifying…' : 'Run full verification'}
            </button>
          </p>
        )}
        {run.running && <p role="status">Verifying every event against the witness…</p>}
        {run.error && <ErrorMessage error={run.error} onSignIn={onSignIn} />}
      </section>
      <section aria-labelledby="checkpoints-heading">
        <h2 id="checkpoints-heading">Latest checkpoints</h2>
        {checkpoints.status === 'loading' && <Loading what="checkpoints" />}
        {checkpoints.status === 'error' && <ErrorMessage error={checkpoints.error} onSignIn={onSignIn} />}
        {checkpoints.status === 'done' &&
          (checkpoints.data.length === 0 ? (
            <p>No checkpoint was published yet.</p>
          ) : (
            <TableRegion label="Checkpoints">
              <table>
                <TableHead columns={['Time', 'Tree size', 'Root hash', 'Key']} />
                <tbody>
                  {checkpoints.data.map((c) => (
                    <tr key={`${c.treeSize}-${c.timestamp}`}>
                      <td>
                        <time dateTime={c.timestamp}>{timeText(c.timestamp)}</time>
                      </td>
                      <td>{c.treeSize}</td>
                      <td class="mono">{c.rootHash}</td>
                      <td class="mono">{c.keyId}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableRegion>
          ))}
      </section>
      <section aria-labelledby="keys-heading">
        <h2 id="keys-heading">Signing keys</h2>
        {keys.status === 'loading' && <Loading what="keys" />}
        {keys.status === 'error' && <ErrorMessage error={keys.error} onSignIn={onSignIn} />}
        {keys.status === 'done' && (
          <TableRegion label="Signing keys">
            <table>
              <TableHead
                columns={['Key id', 'Algorithm', 'Status', 'Valid from', 'Valid until', 'Compromised at']}
              />
              <tbody>
                {keys.data.map((k) => (
                  <tr key={k.keyId}>
                    <td class="mono">{k.keyId}</td>
                    <td>{k.algorithm}</td>
                    <td>
                      <span class={`tag tag-key-${k.status.toLowerCase().replace(/[^a-z]/g, '')}`}>
                        {k.status}
                      </span>
                    </td>
                    <td>{timeText(k.notBefore)}</td>
                    <td>{k.notAfter ? timeText(k.notAfter) : '—'}</td>
                    <td>{k.compromisedAt ? timeText(k.compromisedAt) : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
        )}
      </section>
    </>
  );
}

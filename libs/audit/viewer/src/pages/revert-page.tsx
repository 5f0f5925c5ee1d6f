import { useState } from 'preact/hooks';
import { ApiError } from '../api/api-error';
import { previewRevert, revertChange, type ConflictPolicy } from '../api/audit-queries';
import { ErrorMessage, Loading } from '../components/error-message';
import { TableHead } from '../components/table-head';
import { TableRegion } from '../components/table-region';
import { ValueView } from '../components/value-view';
import { actorText, timeText } from '../lib/format';
import { useAsync } from '../lib/use-async';
import type { PageProps } from '../page-props';
import { href, navigate, trailHref } from '../router';

const POLICIES: [ConflictPolicy, string][] = [
  ['ABORT', 'Refuse the revert (nothing is written)'],
  ['SKIP_CONFLICTING', 'Leave those fields as they are, revert the others'],
  ['OVERWRITE', 'Revert them too, over the later change'],
];

const policyOf = (value: string | null): ConflictPolicy =>
  POLICIES.some(([p]) => p === value) ? (value as ConflictPolicy) : 'ABORT';

const REASONS: Record<string, string> = {
  MASKED: 'never recorded (masked)',
  ERASED: 'personal data of an erased subject',
  NOT_WRITABLE: 'not written by a revert (managed by the application)',
};

/**
 * The revert of one change (docs/revert.md): the API's preview (what would change, what someone
 * changed since, what cannot be restored), a conflict policy, then `revertChange` against the
 * trail head the preview saw. The API decides who may (audit:revert) and records every attempt.
 */
export function RevertPage({ route, onSignIn }: PageProps) {
  const eventId = route.parts[0] ?? '';
  const policy = policyOf(route.params.get('onConflict'));
  const preview = useAsync(() => previewRevert(eventId, policy), `${eventId}|${policy}`);
  const [reason, setReason] = useState('');
  const [done, setDone] = useState<{ appliedFields: string[]; operationId: string | null } | null>(null);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const choose = (next: ConflictPolicy) => navigate(href('revert', [eventId], { onConflict: next }));

  if (preview.status === 'loading') return <Loading what="the revert's preview" />;
  if (preview.status === 'error')
    return (
      <>
        <h1>Revert a change</h1>
        <ErrorMessage error={preview.error} onSignIn={onSignIn} />
      </>
    );
  const p = preview.data;
  const apply = () => {
    setBusy(true);
    setFailure(null);
    revertChange(eventId, policy, p.headSeq, reason.trim() || null).then(
      (result) => {
        setBusy(false);
        setDone(result);
      },
      (error: unknown) => {
        setBusy(false);
        setFailure(error instanceof ApiError ? error : new ApiError('VIEWER_ERROR', 'The revert failed.'));
      },
    );
  };
  const conflicts = p.changes.filter((c) => c.conflict);
  return (
    <>
      <h1>Revert a change</h1>
      <p>
        Event <span class="mono">{eventId}</span> of{' '}
        <a href={trailHref(p.entityType, p.entityId)}>
          {p.entityType} {p.entityId}
        </a>{' '}
        (trail head #{p.headSeq}).
      </p>
      {p.changes.length === 0 ? (
        <p role="status">Nothing to revert: the record already has these values.</p>
      ) : (
        <TableRegion label="Revert changes">
          <table data-testid="revert-changes">
            <TableHead columns={['Field', 'Now', 'Would become', 'Changed since by']} />
            <tbody>
              {p.changes.map((c) => (
                <tr key={c.field} data-field={c.field} data-conflict={String(c.conflict)}>
                  <th scope="row">{c.field}</th>
                  <td>
                    <ValueView value={c.currentValue} />
                  </td>
                  <td>
                    <ValueView value={c.restoreValue} />
                  </td>
                  <td>
                    {!c.conflict ? (
                      <span class="muted">no one</span>
                    ) : c.lastChange ? (
                      <span class="tag tag-failed">
                        {actorText(c.lastChange.actor)} at {timeText(c.lastChange.occurredAt)}
                      </span>
                    ) : (
                      <span class="tag tag-failed">a change not in the sealed trail yet</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
      {p.notRestorable.length > 0 && (
        <>
          <h2>Left as they are</h2>
          <ul>
            {p.notRestorable.map((f) => (
              <li key={f.field}>
                <strong>{f.field}</strong>: {REASONS[f.reason] ?? f.reason}
              </li>
            ))}
          </ul>
        </>
      )}
      {done ? (
        <div class="message" role="status" data-testid="revert-done">
          <p>
            <strong>Reverted</strong>:{' '}
            {done.appliedFields.length ? done.appliedFields.join(', ') : 'nothing needed changing'}
            {done.operationId && (
              <>
                {' '}
                (operation <span class="mono">{done.operationId}</span>, sealed in the trail shortly)
              </>
            )}
            .
          </p>
          <p>
            <a href={trailHref(p.entityType, p.entityId)}>Back to the trail</a>
          </p>
        </div>
      ) : (
        p.changes.length > 0 && (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              apply();
            }}
          >
            <fieldset>
              <legend>
                When a field was changed since ({conflicts.length}{' '}
                {conflicts.length === 1 ? 'field' : 'fields'})
              </legend>
              {POLICIES.map(([value, label]) => (
                <div key={value}>
                  <input
                    type="radio"
                    id={`policy-${value}`}
                    name="onConflict"
                    value={value}
                    checked={policy === value}
                    onChange={() => choose(value)}
                  />
                  <label for={`policy-${value}`}>{label}</label>
                </div>
              ))}
            </fieldset>
            <div class="field">
              <label for="revert-reason">Reason (recorded with the revert)</label>
              <input
                id="revert-reason"
                type="text"
                maxLength={500}
                value={reason}
                onInput={(e) => setReason((e.target as HTMLInputElement).value)}
              />
            </div>
            {p.blocked && (
              <p class="message" role="status">
                Someone changed {conflicts.map((c) => c.field).join(', ')} since: choose what to do with{' '}
                {conflicts.length === 1 ? 'it' : 'them'}.
              </p>
            )}
            <p>
              <button type="submit" disabled={busy || p.blocked || p.mode === 'NONE'}>
                {busy ? 'Reverting…' : 'Apply the revert'}
              </button>
            </p>
          </form>
        )
      )}
      {failure && <ErrorMessage error={failure} onSignIn={onSignIn} />}
    </>
  );
}

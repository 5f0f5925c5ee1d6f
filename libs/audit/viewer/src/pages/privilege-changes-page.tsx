import type { PageProps } from '../page-props';
import { privilegeChanges } from '../api/audit-queries';
import { ErrorMessage, Loading } from '../components/error-message';
import { ActorCell, WhenAndRecord } from '../components/event-row-cells';
import { TimeField } from '../components/form-fields';
import { TableRegion } from '../components/table-region';
import { ValueView } from '../components/value-view';
import { actorText, fromLocalInput, shiftDays, timeText } from '../lib/format';
import { useAsync } from '../lib/use-async';
import { href, navigate } from '../router';
import { TableHead } from '../components/table-head';

/** Grants and revocations of privileged fields; escalations reverted within the window stand out. */
export function PrivilegeChangesPage({ route, onSignIn }: PageProps) {
  const { params } = route;
  // NOTE: without a range in the URL, the last 30 days up to tomorrow (so that today's changes show).
  const from = params.get('from') ?? shiftDays(-30);
  const to = params.get('to') ?? shiftDays(1);
  const changes = useAsync(() => privilegeChanges(from, to), route.key);
  const submit = (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    navigate(
      href('privileges', [], { from: fromLocalInput(form.get('from')), to: fromLocalInput(form.get('to')) }),
    );
  };
  const reverted = changes.status === 'done' ? changes.data.filter((c) => c.reverted).length : 0;
  return (
    <>
      <h1>Privilege changes</h1>
      <form class="filters" key={route.key} onSubmit={submit} aria-label="Time range">
        <TimeField name="from" label="From (your local time)" value={from} />
        <TimeField name="to" label="To (your local time)" value={to} />
        <div class="form-actions">
          <button type="submit">Show changes</button>
        </div>
      </form>
      {changes.status === 'loading' && <Loading what="privilege changes" />}
      {changes.status === 'error' && <ErrorMessage error={changes.error} onSignIn={onSignIn} />}
      {changes.status === 'done' && (
        <>
          <p role="status">
            {changes.data.length} changes of a privileged field, {reverted} of them reverted.
          </p>
          {changes.data.length > 0 && (
            <TableRegion label="Privilege changes">
              <table class="events" data-testid="privilege-changes">
                <TableHead columns={['Time', 'Record', 'Field', 'Before', 'After', 'Actor', 'Reverted']} />
                <tbody>
                  {changes.data.map((change) => (
                    <tr
                      key={`${change.event.id}-${change.field}`}
                      class={change.reverted ? 'row-reverted' : undefined}
                      data-reverted={String(change.reverted)}
                    >
                      <WhenAndRecord event={change.event} />
                      <td>{change.field}</td>
                      <td>
                        <ValueView value={change.before} />
                      </td>
                      <td>
                        <ValueView value={change.after} />
                      </td>
                      <ActorCell event={change.event} />
                      <td>
                        {change.reverted && change.revertedBy ? (
                          <>
                            <span class="tag tag-reverted">reverted</span> by{' '}
                            {actorText(change.revertedBy.actor)} at{' '}
                            <time dateTime={change.revertedBy.occurredAt}>
                              {timeText(change.revertedBy.occurredAt)}
                            </time>
                          </>
                        ) : change.reverted ? (
                          <span class="tag tag-reverted">reverted</span>
                        ) : (
                          'no'
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableRegion>
          )}
        </>
      )}
    </>
  );
}

import { entityAt } from '../api/audit-queries';
import { timeText } from '../lib/format';
import { useAsync } from '../lib/use-async';
import { ErrorMessage, Loading } from './error-message';
import { ValueView } from './value-view';

/** entityAt: the record as it was at `at`, replayed from its verified chain by the API. */
export function EntityState({
  entityType,
  entityId,
  at,
  closeHref,
  onSignIn,
}: {
  entityType: string;
  entityId: string;
  at: string;
  closeHref: string;
  onSignIn: () => void;
}) {
  const state = useAsync(() => entityAt(entityType, entityId, at), `${entityType}\n${entityId}\n${at}`);
  return (
    <section class="panel" aria-labelledby="state-heading" data-testid="entity-state">
      <h2 id="state-heading">
        State at <time dateTime={at}>{timeText(at)}</time>
      </h2>
      {state.status === 'loading' && <Loading what="the record's state" />}
      {state.status === 'error' && <ErrorMessage error={state.error} onSignIn={onSignIn} />}
      {state.status === 'done' &&
        (state.data === null || state.data === undefined ? (
          <p>The record did not exist at that time (or had been deleted).</p>
        ) : typeof state.data === 'object' && !Array.isArray(state.data) ? (
          <table class="state">
            <tbody>
              {Object.entries(state.data as Record<string, unknown>).map(([field, value]) => (
                <tr key={field} data-field={field}>
                  <th scope="row">{field}</th>
                  <td>
                    <ValueView value={value} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <ValueView value={state.data} />
        ))}
      <p>
        <a href={closeHref}>Close the state view</a>
      </p>
    </section>
  );
}

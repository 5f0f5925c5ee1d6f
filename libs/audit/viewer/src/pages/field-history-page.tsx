import type { PageProps } from '../page-props';
import { fieldHistory } from '../api/audit-queries';
import { ErrorMessage, Loading } from '../components/error-message';
import { ActorCell, WhenAndRecord } from '../components/event-row-cells';
import { TextField, TimeField } from '../components/form-fields';
import { Pager } from '../components/pager';
import { TableRegion } from '../components/table-region';
import { ValueView } from '../components/value-view';
import { config } from '../config';
import { fromLocalInput, textOf } from '../lib/format';
import { useAsync } from '../lib/use-async';
import { href, navigate } from '../router';
import { TableHead } from '../components/table-head';

/** Every change of one field across all records of a type (fieldHistory), oldest first. */
export function FieldHistoryPage({ route, onSignIn }: PageProps) {
  const { params } = route;
  const entityType = params.get('entityType') ?? 'User';
  const field = params.get('field') ?? 'role';
  const range = { from: params.get('from') ?? undefined, to: params.get('to') ?? undefined };
  const after = params.get('after');
  const history = useAsync(
    () => fieldHistory(entityType, field, range, config.defaultPageSize, after),
    route.key,
  );
  const submit = (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    navigate(
      href('fields', [], {
        entityType: textOf(form.get('entityType')),
        field: textOf(form.get('field')),
        from: fromLocalInput(form.get('from')),
        to: fromLocalInput(form.get('to')),
      }),
    );
  };
  const pageHref = (cursor: string | undefined) =>
    href('fields', [], { entityType, field, ...range, after: cursor });
  return (
    <>
      <h1>Field history</h1>
      <form class="filters" key={route.key} onSubmit={submit} aria-label="Field history filters">
        <TextField name="entityType" label="Entity type" value={entityType} />
        <TextField name="field" label="Field" value={field} />
        <TimeField name="from" label="From (your local time)" value={range.from ?? null} />
        <TimeField name="to" label="To (your local time)" value={range.to ?? null} />
        <div class="form-actions">
          <button type="submit">Show history</button>
        </div>
      </form>
      <section aria-labelledby="history-heading">
        <h2 id="history-heading">
          Changes of {entityType}.{field}
        </h2>
        {history.status === 'loading' && <Loading what="the history" />}
        {history.status === 'error' && <ErrorMessage error={history.error} onSignIn={onSignIn} />}
        {history.status === 'done' &&
          (history.data.edges.length === 0 ? (
            <p role="status">No change of this field is visible to you.</p>
          ) : (
            <>
              <TableRegion label="Field history">
                <table class="events">
                  <TableHead columns={['Time', 'Record', 'Before', 'After', 'Actor', 'Request id']} />
                  <tbody>
                    {history.data.edges.map(({ node }) => (
                      <tr key={node.event.id}>
                        <WhenAndRecord event={node.event} />
                        <td>
                          <ValueView value={node.before} />
                        </td>
                        <td>
                          <ValueView value={node.after} />
                        </td>
                        <ActorCell event={node.event} />
                        <td class="mono">{node.event.source.requestId ?? ''}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableRegion>
              <Pager pageInfo={history.data.pageInfo} hrefFor={pageHref} onFirstPage={!after} />
            </>
          ))}
      </section>
    </>
  );
}

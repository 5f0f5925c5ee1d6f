import type { PageProps } from '../page-props';
import { searchEvents, type EventFilter } from '../api/audit-queries';
import { ErrorMessage, Loading } from '../components/error-message';
import { ActorCell, WhenAndRecord } from '../components/event-row-cells';
import { TextField, TimeField } from '../components/form-fields';
import { Pager } from '../components/pager';
import { TableRegion } from '../components/table-region';
import { config } from '../config';
import { fromLocalInput, textOf } from '../lib/format';
import { useAsync } from '../lib/use-async';
import { href, navigate } from '../router';
import { TableHead } from '../components/table-head';

const TEXT_FILTERS: [keyof EventFilter, string][] = [
  ['actorId', 'Actor id'],
  ['action', 'Action'],
  ['entityType', 'Entity type'],
  ['entityId', 'Entity id'],
  ['tenantId', 'Tenant'],
  ['module', 'Module'],
  ['changedField', 'Changed field'],
  ['requestId', 'Request id'],
  ['operationId', 'Operation id'],
];
const FILTER_NAMES: (keyof EventFilter)[] = ['from', 'to', ...TEXT_FILTERS.map(([name]) => name)];

function filterOf(params: URLSearchParams): EventFilter {
  const filter: EventFilter = {};
  for (const name of FILTER_NAMES) {
    const value = params.get(name);
    if (value) filter[name] = value;
  }
  return filter;
}

/** Search: every filter of auditEvents, in the URL; results paged on the API's cursors. */
export function SearchPage({ route, onSignIn }: PageProps) {
  const { params } = route;
  const filter = filterOf(params);
  const oldestFirst = params.get('order') === 'oldest';
  const after = params.get('after');
  const results = useAsync(
    () => searchEvents(filter, config.defaultPageSize, after, !oldestFirst),
    route.key,
  );
  const submit = (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const next: Record<string, string | undefined> = {
      from: fromLocalInput(form.get('from')),
      to: fromLocalInput(form.get('to')),
      order: form.get('order') === 'oldest' ? 'oldest' : undefined,
    };
    for (const [name] of TEXT_FILTERS) next[name] = textOf(form.get(name));
    navigate(href('search', [], next));
  };
  const pageHref = (cursor: string | undefined) =>
    href('search', [], { ...filter, order: oldestFirst ? 'oldest' : undefined, after: cursor });
  return (
    <>
      <h1>Search audit events</h1>
      <form class="filters" key={route.key} onSubmit={submit} aria-label="Search filters">
        <TimeField name="from" label="From (your local time)" value={params.get('from')} />
        <TimeField name="to" label="To (your local time)" value={params.get('to')} />
        {TEXT_FILTERS.map(([name, label]) => (
          <TextField key={name} name={name} label={label} value={params.get(name)} />
        ))}
        <div class="field">
          <label for="field-order">Order</label>
          <select id="field-order" name="order">
            <option value="newest" selected={!oldestFirst}>
              Newest first
            </option>
            <option value="oldest" selected={oldestFirst}>
              Oldest first
            </option>
          </select>
        </div>
        <div class="form-actions">
          <button type="submit">Search</button>
          <a href={href('search')}>Clear filters</a>
        </div>
      </form>
      <section aria-labelledby="results-heading">
        <h2 id="results-heading">Results</h2>
        {results.status === 'loading' && <Loading what="events" />}
        {results.status === 'error' && <ErrorMessage error={results.error} onSignIn={onSignIn} />}
        {results.status === 'done' && (
          <>
            <p role="status">
              {results.data.edges.length === 0
                ? 'No event matches these filters.'
                : `${results.data.edges.length} events on this page.`}
            </p>
            {results.data.edges.length > 0 && (
              <TableRegion label="Search results">
                <table class="events" data-testid="search-results">
                  <TableHead
                    columns={['Time', 'Record', 'Action', 'Tenant', 'Actor', 'Changed fields', 'Request id']}
                  />
                  <tbody>
                    {results.data.edges.map(({ node }) => (
                      <tr key={node.id} data-tenant={node.tenantId ?? ''}>
                        <WhenAndRecord event={node} />
                        <td>{node.action}</td>
                        <td>{node.tenantId ?? '—'}</td>
                        <ActorCell event={node} />
                        <td>{node.changes.map((c) => c.field).join(', ')}</td>
                        <td class="mono">{node.source.requestId ?? ''}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableRegion>
            )}
            <Pager pageInfo={results.data.pageInfo} hrefFor={pageHref} onFirstPage={!after} />
          </>
        )}
      </section>
    </>
  );
}

import type { PageProps } from '../page-props';
import { auditReport, type ReportDimension } from '../api/audit-queries';
import { BarChart } from '../components/bar-chart';
import { ErrorMessage, Loading } from '../components/error-message';
import { TimeField } from '../components/form-fields';
import { TableRegion } from '../components/table-region';
import { downloadText, toCsv } from '../lib/csv';
import { fromLocalInput, rawTextOf, shiftDays } from '../lib/format';
import { useAsync } from '../lib/use-async';
import { href, navigate } from '../router';
import { TableHead } from '../components/table-head';

const DIMENSIONS: [ReportDimension, string][] = [
  ['DAY', 'Day'],
  ['ACTION', 'Action'],
  ['ACTOR', 'Actor'],
];

function dimensionOf(value: string | null): ReportDimension {
  return DIMENSIONS.some(([d]) => d === value) ? (value as ReportDimension) : 'DAY';
}

/** auditReport as a bar chart and a table, grouped by day, action or actor; the rows as CSV. */
export function ReportsPage({ route, onSignIn }: PageProps) {
  const { params } = route;
  const from = params.get('from') ?? shiftDays(-30);
  const to = params.get('to') ?? shiftDays(1);
  const groupBy = dimensionOf(params.get('groupBy'));
  const label = DIMENSIONS.find(([d]) => d === groupBy)?.[1] ?? groupBy;
  const report = useAsync(() => auditReport(from, to, groupBy), route.key);
  const submit = (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    navigate(
      href('reports', [], {
        from: fromLocalInput(form.get('from')),
        to: fromLocalInput(form.get('to')),
        groupBy: dimensionOf(rawTextOf(form.get('groupBy'))),
      }),
    );
  };
  const rows =
    report.status === 'done'
      ? report.data.rows.map((row) => {
          const value = row.keys.find((k) => k.dimension === groupBy)?.value ?? null;
          return {
            label: value === null ? '(none)' : groupBy === 'DAY' ? value.slice(0, 10) : value,
            count: row.count,
          };
        })
      : [];
  const download = () =>
    downloadText(
      `audit-report-${groupBy.toLowerCase()}.csv`,
      toCsv([[label, 'Events'], ...rows.map((r) => [r.label, r.count])]),
    );
  return (
    <>
      <h1>Reports</h1>
      <form class="filters" key={route.key} onSubmit={submit} aria-label="Report settings">
        <TimeField name="from" label="From (your local time)" value={from} />
        <TimeField name="to" label="To (your local time)" value={to} />
        <div class="field">
          <label for="field-group">Group by</label>
          <select id="field-group" name="groupBy">
            {DIMENSIONS.map(([d, text]) => (
              <option key={d} value={d} selected={d === groupBy}>
                {text}
              </option>
            ))}
          </select>
        </div>
        <div class="form-actions">
          <button type="submit">Show report</button>
        </div>
      </form>
      {report.status === 'loading' && <Loading what="the report" />}
      {report.status === 'error' && <ErrorMessage error={report.error} onSignIn={onSignIn} />}
      {report.status === 'done' && (
        <section aria-labelledby="report-heading">
          <h2 id="report-heading">
            Events by {label.toLowerCase()}: {report.data.total} in all
          </h2>
          {rows.length === 0 ? (
            <p role="status">No event in this range.</p>
          ) : (
            <>
              <BarChart
                title={`Events by ${label.toLowerCase()}`}
                bars={rows.map((r) => ({ label: r.label, value: r.count }))}
              />
              <TableRegion label="Report rows">
                <table data-testid="report-table">
                  <TableHead columns={[label, 'Events']} />
                  <tbody>
                    {rows.map((r, i) => (
                      <tr key={i}>
                        <td>{r.label}</td>
                        <td>{r.count}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableRegion>
              <p>
                <button type="button" onClick={download}>
                  Download these rows as CSV
                </button>
              </p>
            </>
          )}
        </section>
      )}
    </>
  );
}

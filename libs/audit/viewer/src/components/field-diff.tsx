import type { AuditEvent } from '../api/audit-queries';
import { ValueView } from './value-view';
import { TableHead } from './table-head';

/** The changed fields of one event, before → after side by side. */
export function FieldDiff({ changes }: { changes: AuditEvent['changes'] }) {
  if (!changes.length) return <p class="muted">No field changed.</p>;
  return (
    <table class="diff">
      <TableHead columns={['Field', 'Before', 'After']} />
      <tbody>
        {changes.map((c) => (
          <tr key={c.field} data-field={c.field}>
            <th scope="row">{c.field}</th>
            <td>
              <ValueView value={c.before} />
            </td>
            <td>
              <span class="arrow" aria-hidden="true">
                →{' '}
              </span>
              <ValueView value={c.after} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

import type { AuditEvent } from '../api/audit-queries';
import { actorText, timeText } from '../lib/format';
import { trailHref } from '../router';

/** The cells every event table starts with: when, and which record (a link to its trail). */
export function WhenAndRecord({ event }: { event: AuditEvent }) {
  return (
    <>
      <td>
        <time dateTime={event.occurredAt}>{timeText(event.occurredAt)}</time>
      </td>
      <td>
        <a href={trailHref(event.entityType, event.entityId)}>
          {event.entityType} {event.entityId}
        </a>
      </td>
    </>
  );
}

export function ActorCell({ event }: { event: AuditEvent }) {
  return <td>{actorText(event.actor)}</td>;
}

import type { AuditEvent } from '../api/audit-queries';
import { actorText, timeText } from '../lib/format';
import { href } from '../router';
import { FieldDiff } from './field-diff';

export type EventTrust = 'verified' | 'failed' | 'unverified';

function shifted(iso: string, ms: number): string {
  const time = new Date(iso).getTime();
  return Number.isNaN(time) ? iso : new Date(time + ms).toISOString();
}

/** One event of a record's timeline: who, when, from where, what changed, and whether it verified. */
export function TrailEvent({
  event,
  trust,
  stateHref,
}: {
  event: AuditEvent;
  trust: EventTrust;
  stateHref: (at: string) => string;
}) {
  const { source } = event;
  return (
    <li class={`event event-${trust}`} data-chain-seq={event.chainSeq} data-trust={trust}>
      <h3>
        <span class="seq">#{event.chainSeq}</span> {event.action}{' '}
        <time dateTime={event.occurredAt}>{timeText(event.occurredAt)}</time>
        {trust === 'failed' && <span class="tag tag-failed">failed verification</span>}
        {trust === 'unverified' && <span class="tag tag-unverified">unverified</span>}
      </h3>
      <dl class="meta">
        <div>
          <dt>Actor</dt>
          <dd>{actorText(event.actor)}</dd>
        </div>
        <div>
          <dt>IP</dt>
          <dd>{source.ip ?? '—'}</dd>
        </div>
        <div>
          <dt>User agent</dt>
          <dd>{source.userAgent ?? '—'}</dd>
        </div>
        <div>
          <dt>Request id</dt>
          <dd class="mono">{source.requestId ?? '—'}</dd>
        </div>
        {event.operationId && (
          <div>
            <dt>Operation id</dt>
            <dd class="mono">{event.operationId}</dd>
          </div>
        )}
      </dl>
      <FieldDiff changes={event.changes} />
      <p class="event-actions">
        <a href={stateHref(shifted(event.occurredAt, -1))}>State before #{event.chainSeq}</a>
        <a href={stateHref(event.occurredAt)}>State after #{event.chainSeq}</a>
        {/* Offered on every change; the API decides who may revert (audit:revert) and says so. */}
        {event.changes.length > 0 && !event.action.endsWith('_FAILED') && (
          <a href={href('revert', [event.id])}>Preview a revert of #{event.chainSeq}</a>
        )}
      </p>
    </li>
  );
}

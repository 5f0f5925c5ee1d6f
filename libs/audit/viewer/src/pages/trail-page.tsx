import type { PageProps } from '../page-props';
import { EntityState } from '../components/entity-state';
import { ErrorMessage, Loading } from '../components/error-message';
import { TrailEvent, type EventTrust } from '../components/trail-event';
import { VerificationBadge } from '../components/verification-badge';
import { config } from '../config';
import { fromLocalInput, toLocalInput } from '../lib/format';
import { firstBadSeq, loadTrail, TRAIL_LIMIT, type LoadedTrail } from '../lib/trail-loader';
import { useAsync } from '../lib/use-async';
import { href, navigate, trailHref } from '../router';

/** An address naming no record asks the API nothing. */
const NO_TRAIL: Promise<LoadedTrail> = new Promise(() => undefined);

/** A record's timeline with its verification badge, and its state at any point (entityAt). */
export function TrailPage({ route, onSignIn }: PageProps) {
  const [entityType = '', entityId = ''] = route.parts;
  const newestFirst = route.params.get('order') !== 'oldest';
  const at = route.params.get('at');
  const order = newestFirst ? undefined : 'oldest';
  // NOTE: keyed on the record only: changing the order or the state's time does not re-read the chain.
  const trail = useAsync(
    () => (entityType && entityId ? loadTrail(entityType, entityId, config.maxPageSize) : NO_TRAIL),
    `${entityType}\n${entityId}`,
  );
  const bad = trail.status === 'done' ? firstBadSeq(trail.data.verification) : null;
  if (!entityType || !entityId)
    return (
      <>
        <h1>Record trail</h1>
        <p>
          No record is named in this address. <a href={href('search')}>Search</a> and open a record from the
          results.
        </p>
      </>
    );
  const pickDate = (e: Event) => {
    e.preventDefault();
    const value = fromLocalInput(new FormData(e.currentTarget as HTMLFormElement).get('at'));
    if (value) navigate(trailHref(entityType, entityId, { ...(order ? { order } : {}), at: value }));
  };
  const stateHref = (time: string) =>
    trailHref(entityType, entityId, { ...(order ? { order } : {}), at: time });
  return (
    <>
      <h1>
        Trail of {entityType} <span class="mono">{entityId}</span>
      </h1>
      {trail.status === 'loading' && <Loading what="the trail" />}
      {trail.status === 'error' && <ErrorMessage error={trail.error} onSignIn={onSignIn} />}
      {trail.status === 'done' && <VerificationBadge verification={trail.data.verification} />}
      {at && (
        <EntityState
          entityType={entityType}
          entityId={entityId}
          at={at}
          closeHref={trailHref(entityType, entityId, order ? { order } : {})}
          onSignIn={onSignIn}
        />
      )}
      <form class="inline-form" key={route.key} onSubmit={pickDate} aria-label="State at a date">
        <div class="field">
          <label for="field-at">Show the record as of (your local time)</label>
          <input
            id="field-at"
            name="at"
            type="datetime-local"
            step="0.001"
            defaultValue={toLocalInput(at)}
            required
          />
        </div>
        <button type="submit">Show state</button>
      </form>
      {trail.status === 'done' && (
        <section aria-labelledby="timeline-heading">
          <h2 id="timeline-heading">Timeline ({trail.data.events.length} events)</h2>
          <p class="order-links">
            {newestFirst ? (
              <a href={trailHref(entityType, entityId, { order: 'oldest', ...(at ? { at } : {}) })}>
                Show oldest first
              </a>
            ) : (
              <a href={trailHref(entityType, entityId, at ? { at } : {})}>Show newest first</a>
            )}
          </p>
          {trail.data.truncated && (
            <p class="message">Only the first {TRAIL_LIMIT} events of this record are shown.</p>
          )}
          {trail.data.events.length === 0 ? (
            <p>No event of this record is visible to you.</p>
          ) : (
            <ol class="timeline" data-testid="timeline" reversed={newestFirst}>
              {(newestFirst ? [...trail.data.events].reverse() : trail.data.events).map((event) => {
                const trust: EventTrust =
                  bad === null || event.chainSeq < bad
                    ? 'verified'
                    : event.chainSeq === bad
                      ? 'failed'
                      : 'unverified';
                return <TrailEvent key={event.id} event={event} trust={trust} stateHref={stateHref} />;
              })}
            </ol>
          )}
        </section>
      )}
    </>
  );
}

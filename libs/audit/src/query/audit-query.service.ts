import { MikroORM, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager, QBFilterQuery } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { AUDIT_OPTIONS } from '../audit.constants';
import type { ResolvedAuditOptions } from '../audit-options.interface';
import { canonicalJson } from '../crypto/canonical-json';
import { AuditArchivedError } from '../errors/audit-archived.error';
import { AuditChainTamperedError } from '../errors/audit-chain-tampered.error';
import type { FieldChange, JsonObject, SealedAuditEvent } from '../events/audit-event';
import { DRIFT_DETECTED } from '../events/audit-event.factory';
import { PersonalDataReader } from '../personal-data/personal-data.reader';
import { AuditEventEntity } from '../storage/audit-event.entity';
import { findEventRows } from '../storage/event-rows.store';
import { toSealedEvent } from '../storage/sealed-event.mapper';
import type { ChainVerification } from '../verification/chain-verification';
import { TrailVerifier, type VerifiedTrail } from '../verification/trail.verifier';
import {
  LATEST_QUERY_DATE,
  type AuditEventQuery,
  type AuditReportDimensionName,
  type EventPage,
  type PageRequest,
  type ReaderScope,
} from './audit-query';
import { InjectAuditStore } from '../storage/audit-store';
import { reportRows } from '../storage/report.store';
import { liesInArchive, replayState } from './state-replay';

/** An event with the fields changed outside audited code just before it (its DRIFT_DETECTED event). */
export type EventWithDrift = SealedAuditEvent & { drift: FieldChange[] | null };

const same = (a: unknown, b: unknown) => canonicalJson(a ?? null).equals(canonicalJson(b ?? null));

/**
 * The read side of the audit store: verified trails, searches, field histories, reports and
 * point-in-time state, always scoped to the reader's tenant. Searches page by keyset
 * (occurred_at, global_seq) on indexed columns, never by offset.
 */
@Injectable()
export class AuditQueryService {
  constructor(
    @InjectAuditStore() private readonly orm: MikroORM,
    private readonly trails: TrailVerifier,
    private readonly personalData: PersonalDataReader,
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
  ) {}

  /**
   * An entity's verified trail, restricted to what the reader may see, in its stored form
   * (personal values as envelopes). Every other read here returns them in clear or `[ERASED]`.
   */
  async trail(scope: ReaderScope, entityType: string, entityId: string): Promise<VerifiedTrail> {
    const trail = await this.trails.load(entityType, entityId);
    if (scope.tenantId === null) return trail;
    const visible = trail.events.filter((e) => e.tenantId === scope.tenantId);
    // NOTE: an entity of another tenant looks exactly like one without events: no existence leak.
    if (visible.length === 0)
      return { events: [], verification: { valid: true, checkedEvents: 0, headSeq: 0, failures: [] } };
    return { events: visible, verification: trail.verification };
  }

  /** The verified trail, personal values in clear (or `[ERASED]`), or AuditChainTamperedError. */
  async verifiedTrail(
    scope: ReaderScope,
    entityType: string,
    entityId: string,
  ): Promise<{ events: EventWithDrift[]; verification: ChainVerification; archivedThrough?: number }> {
    const { events, verification, archivedThrough } = await this.trail(scope, entityType, entityId);
    if (!verification.valid) throw new AuditChainTamperedError(entityType, entityId, verification.failures);
    // NOTE: in place: the events are this call's own, and a copy of each costs on long trails.
    const withDrift = events.map((e, i) => Object.assign(e, { drift: driftOf(e, events[i - 1]) }));
    return { events: await this.personalData.reveal(withDrift), verification, archivedThrough };
  }

  /** The entity's state at `at`: its verified chain's patches replayed in order, up to that moment. */
  async entityAt(
    scope: ReaderScope,
    entityType: string,
    entityId: string,
    at: Date,
  ): Promise<JsonObject | null> {
    const { events, archivedThrough } = await this.verifiedTrail(scope, entityType, entityId);
    const until = (event: SealedAuditEvent) => new Date(event.occurredAt) <= at;
    if (liesInArchive(events, archivedThrough, until))
      throw new AuditArchivedError(
        `${entityType} ${entityId} at ${at.toISOString()} lies in an archived period: verify and read its archive segment (audit-ledger verify --bundle).`,
      );
    return replayState(events, until);
  }

  /** A page of events and the number of all matching ones: `page` and `count` together. */
  async search(scope: ReaderScope, query: AuditEventQuery, page: PageRequest): Promise<EventPage> {
    const [found, totalCount] = await Promise.all([this.page(scope, query, page), this.count(scope, query)]);
    return { ...found, totalCount };
  }

  /**
   * A page of the matching events, keyset-paged on (occurred_at, global_seq): an index walk that
   * stops after `first + 1` rows, whatever the number of matches.
   */
  async page(
    scope: ReaderScope,
    query: AuditEventQuery,
    page: PageRequest,
  ): Promise<Omit<EventPage, 'totalCount'>> {
    const direction = page.descending ? 'desc' : 'asc';
    const after = page.after
      ? {
          $or: [
            { occurredAt: { [page.descending ? '$lt' : '$gt']: new Date(page.after.occurredAt) } },
            {
              occurredAt: new Date(page.after.occurredAt),
              globalSeq: { [page.descending ? '$lt' : '$gt']: String(page.after.globalSeq) },
            },
          ],
        }
      : {};
    const rows = await findEventRows(
      this.orm.em.fork() as EntityManager,
      { $and: [this.where(scope, query), after] } as QBFilterQuery<AuditEventEntity>,
      { orderBy: { occurredAt: direction, globalSeq: direction }, limit: page.first + 1 },
    );
    const events = await this.withDrift(rows.slice(0, page.first).map(toSealedEvent));
    return { events: await this.personalData.reveal(events), hasNextPage: rows.length > page.first };
  }

  /**
   * The number of matching events. It reads every match (PostgreSQL keeps no counts), so it costs
   * in proportion to their number, unlike `page`: ask for it only when it is shown.
   */
  async count(scope: ReaderScope, query: AuditEventQuery): Promise<number> {
    return (this.orm.em.fork() as EntityManager).count(AuditEventEntity, this.where(scope, query));
  }

  /** Counts grouped by the dimensions, within [from, to) and the filter. */
  async report<D extends AuditReportDimensionName>(scope: ReaderScope, query: AuditEventQuery, groupBy: D[]) {
    const rows = await reportRows(
      this.orm.em.fork() as EntityManager,
      this.where(scope, query) as QBFilterQuery<AuditEventEntity>,
      groupBy,
    );
    return rows.map((row) => ({
      keys: groupBy.map((dimension, i) => ({ dimension, value: dimensionValue(dimension, row[`d${i}`]) })),
      count: row.n as number,
    }));
  }

  /**
   * Every change of a privileged field in [from, to), each flagged when a later change of the same
   * field of the same entity put the old value back within the revert window (escalate, then
   * cover up), or was a revert of it (`metadata.revertOf` names it: `revertChange`, `restoreEntity`).
   */
  async privilegeChanges(scope: ReaderScope, from: Date, to: Date) {
    const fields = this.options.api.privilegedFields;
    const window = this.options.api.privilegeRevertWindowMs;
    const rows = await findEventRows(
      this.orm.em.fork() as EntityManager,
      this.where(scope, {
        changedFields: fields,
        from,
        // NOTE: capped: past year 9999 the driver writes a date PostgreSQL refuses.
        to: new Date(Math.min(to.getTime() + window, LATEST_QUERY_DATE.getTime())),
      }) as QBFilterQuery<AuditEventEntity>,
      { orderBy: { occurredAt: 'asc', globalSeq: 'asc' } },
    );
    // Revealed before comparing: a revert is judged on values, not on their (random-IV) envelopes.
    const events = await this.personalData.reveal(await this.withDrift(rows.map(toSealedEvent)));
    const changes = events.flatMap((event) =>
      event.changes.filter((c) => fields.includes(c.field)).map((change) => ({ event, ...change })),
    );
    return changes
      .filter((c) => new Date(c.event.occurredAt) < to)
      .map((c) => {
        const limit = new Date(c.event.occurredAt).getTime() + window;
        const revert = changes.find(
          (later) =>
            later.event.globalSeq > c.event.globalSeq &&
            later.event.entityType === c.event.entityType &&
            later.event.entityId === c.event.entityId &&
            later.field === c.field &&
            (revertsOf(later.event).includes(c.event.id) ||
              (new Date(later.event.occurredAt).getTime() <= limit && same(later.after, c.before))),
        );
        return { ...c, reverted: revert !== undefined, revertedBy: revert?.event ?? null };
      });
  }

  private where(scope: ReaderScope, q: AuditEventQuery): FilterQuery<AuditEventEntity> {
    const and: FilterQuery<AuditEventEntity>[] = [];
    const eq = <K extends keyof AuditEventEntity>(key: K, value: AuditEventEntity[K] | undefined) => {
      if (value !== undefined && value !== null) and.push({ [key]: value });
    };
    eq('entityType', q.entityType);
    eq('entityId', q.entityId);
    eq('actorId', q.actorId);
    eq('actorType', q.actorType);
    eq('module', q.module);
    eq('tenantId', q.tenantId);
    eq('transactionCode', q.transactionCode);
    eq('requestId', q.requestId);
    // NOTE: events_operation_idx (partial: operation_id is not null) serves this equality.
    eq('operationId', q.operationId);
    if (q.actions?.length) and.push({ action: { $in: q.actions } });
    if (q.changedFields?.length) and.push({ changedFields: { $overlap: q.changedFields } });
    if (q.from) and.push({ occurredAt: { $gte: q.from } });
    if (q.to) and.push({ occurredAt: { $lt: q.to } });
    if (scope.tenantId !== null) and.push({ tenantId: scope.tenantId });
    return { $and: and };
  }

  /** Attaches each event's drift: the DRIFT_DETECTED event sealed just before it, if any. */
  private async withDrift(events: SealedAuditEvent[]): Promise<EventWithDrift[]> {
    const candidates = events.filter((e) => e.chainSeq > 1 && e.action !== DRIFT_DETECTED);
    const drifts = candidates.length
      ? await findEventRows(this.orm.em.fork() as EntityManager, {
          action: DRIFT_DETECTED,
          $or: candidates.map((e) => ({
            entityType: e.entityType,
            entityId: e.entityId,
            chainSeq: String(e.chainSeq - 1),
          })),
        })
      : [];
    const byEvent = new Map(drifts.map((d) => [(d.metadata as { eventId?: string }).eventId, d.changes]));
    return events.map((e) => ({ ...e, drift: byEvent.get(e.id) ?? null }));
  }
}

/** The events a REVERT / RESTORE event undid (`metadata.revertOf`); none for any other event. */
function revertsOf(event: SealedAuditEvent): unknown[] {
  const revertOf = (event.metadata as { revertOf?: unknown } | null)?.revertOf;
  return Array.isArray(revertOf) ? revertOf : [];
}

function dimensionValue(dimension: AuditReportDimensionName, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (dimension === 'DAY' || dimension === 'HOUR') return new Date(value as string | Date).toISOString();
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function driftOf(event: SealedAuditEvent, previous: SealedAuditEvent | undefined): FieldChange[] | null {
  return previous?.action === DRIFT_DETECTED &&
    (previous.metadata as { eventId?: string }).eventId === event.id
    ? previous.changes
    : null;
}

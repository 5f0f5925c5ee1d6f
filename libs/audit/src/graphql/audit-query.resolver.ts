import { Inject, UseFilters, UseGuards } from '@nestjs/common';
import { Args, Context, ID, Info, Int, Query, Resolver } from '@nestjs/graphql';
import type { GraphQLResolveInfo } from 'graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { validate as isUuid } from 'uuid';
import { AUDIT_OPTIONS } from '../audit.constants';
import type { ResolvedAuditOptions } from '../audit-options.interface';
import { statedCheckpoint } from '../crypto/checkpoint';
import { parseVerifierKey } from '../crypto/signed-note';
import { InvalidQueryInputError } from '../errors/invalid-query-input.error';
import { AuditQueryService, type EventWithDrift } from '../query/audit-query.service';
import type { AuditEventQuery } from '../query/audit-query';
import { latestCheckpoints } from '../storage/log.store';
import { LogVerifier } from '../verification/log.verifier';
import { MikroORM } from '@mikro-orm/core';
import { AuditErrorFilter } from './audit-error.filter';
import { toEventModel } from './audit-event.mapper';
import { AUDIT_READER, type AuditReader } from './audit-reader';
import { AuditInputGuard } from './audit-input.guard';
import {
  CHAIN_VERIFICATION_COST,
  LOG_VERIFICATION_COST,
  RANGE_SCAN_COST,
  fixedCost,
  pageCost,
  unboundedListCost,
} from './audit-query-costs';
import { AuditReadGuard, GlobalAuditorsOnly } from './audit-read.guard';
import { decodeCursor, encodeCursor } from './cursor';
import { selectsField } from './selects-field';
import { AuditEventFilterInput, AuditEventOrder } from './dto/audit-event-filter.input';
import { AuditCheckpointModel, AuditKeyModel } from './models/checkpoint.model';
import {
  AuditEventConnectionModel,
  AuditTrailConnectionModel,
  FieldHistoryConnectionModel,
  type PageInfoModel,
} from './models/connection.model';
import { AuditReportDimension, AuditReportModel, PrivilegeChangeModel } from './models/report.model';
import { ChainVerificationModel, LogVerificationModel } from './models/verification.model';
import { InjectAuditStore } from '../storage/audit-store';
import { sqlOf } from '../storage/sql-session';

type Req = Record<symbol, unknown>;
const readerOf = (req: Req) => req[AUDIT_READER] as AuditReader;

/**
 * The audit GraphQL API (docs/graphql-api.md). Every query passes AuditInputGuard (no
 * NUL, lone surrogate, overlong string or out-of-range date in any argument), then AuditReadGuard
 * (authentication, the read permission, tenant scope, AUDIT_QUERY / PERMISSION_DENIED events).
 * Each declares its cost (`complexity`) for `auditQueryLimits`.
 */
@Resolver()
// NOTE: the read guard first: a refusal is recorded whatever the arguments hold (bounded and
// cleaned when sealed), so hostile input can never suppress its own PERMISSION_DENIED.
@UseGuards(AuditReadGuard, AuditInputGuard)
@UseFilters(AuditErrorFilter)
export class AuditQueryResolver {
  constructor(
    private readonly queries: AuditQueryService,
    private readonly logVerifier: LogVerifier,
    @InjectAuditStore() private readonly orm: MikroORM,
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
  ) {}

  @Query(() => AuditTrailConnectionModel, {
    description: "An entity's trail, chronological; the whole chain is verified on every call.",
    complexity: pageCost(CHAIN_VERIFICATION_COST),
  })
  async auditTrail(
    @Context('req') req: Req,
    @Args('entityType') entityType: string,
    @Args('entityId', { type: () => ID }) entityId: string,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
    @Args('from', { type: () => Date, nullable: true }) from: Date | null,
    @Args('to', { type: () => Date, nullable: true }) to: Date | null,
  ): Promise<AuditTrailConnectionModel> {
    const size = this.pageSize(first);
    checkRange(from, to);
    const start = after ? (decodeCursor(after, 'trail', ['number'])[0] as number) : 0;
    const scope = readerOf(req);
    // One load: the chain is read and verified once per call.
    const { events, verification } = await this.queries.verifiedTrail(scope, entityType, entityId);
    const inRange = events.filter(
      (e) => (!from || new Date(e.occurredAt) >= from) && (!to || new Date(e.occurredAt) < to),
    );
    const rest = inRange.filter((e) => e.chainSeq > start);
    const page = rest.slice(0, size);
    return {
      ...connection(page, rest.length > size, start > 0, (e) => encodeCursor('trail', [e.chainSeq])),
      totalCount: inRange.length,
      verification,
    };
  }

  @Query(() => ChainVerificationModel, {
    description: "Verifies an entity's chain; never throws on tampering.",
    complexity: fixedCost(CHAIN_VERIFICATION_COST),
  })
  async verifyAuditTrail(
    @Context('req') req: Req,
    @Args('entityType') entityType: string,
    @Args('entityId', { type: () => ID }) entityId: string,
  ): Promise<ChainVerificationModel> {
    return (await this.queries.trail(readerOf(req), entityType, entityId)).verification;
  }

  @Query(() => LogVerificationModel, {
    description: 'Full verification of the store against the witness.',
    complexity: fixedCost(LOG_VERIFICATION_COST),
  })
  @GlobalAuditorsOnly()
  async verifyAuditLog(): Promise<LogVerificationModel> {
    return this.logVerifier.verify('FULL');
  }

  @Query(() => AuditEventConnectionModel, {
    description: 'Search, newest or oldest first.',
    complexity: pageCost(),
  })
  async auditEvents(
    @Context('req') req: Req,
    @Args('filter', { type: () => AuditEventFilterInput, nullable: true })
    filter: AuditEventFilterInput | null,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
    @Args('orderBy', { type: () => AuditEventOrder, nullable: true }) orderBy: AuditEventOrder | null,
    @Info() info: GraphQLResolveInfo,
  ): Promise<AuditEventConnectionModel> {
    const descending = orderBy === AuditEventOrder.OCCURRED_AT_DESC;
    return this.searchPage(req, toQuery(filter ?? {}), { first, after, descending, kind: 'events' }, info);
  }

  @Query(() => FieldHistoryConnectionModel, {
    description: 'Every change of one field across all entities of a type, oldest first.',
    complexity: pageCost(),
  })
  async fieldHistory(
    @Context('req') req: Req,
    @Args('entityType') entityType: string,
    @Args('field') field: string,
    @Args('from', { type: () => Date, nullable: true }) from: Date | null,
    @Args('to', { type: () => Date, nullable: true }) to: Date | null,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
    @Info() info: GraphQLResolveInfo,
  ): Promise<FieldHistoryConnectionModel> {
    const query = { entityType, changedFields: [field], from: from ?? undefined, to: to ?? undefined };
    const page = await this.searchPage(req, query, { first, after, descending: false, kind: 'field' }, info);
    return {
      ...page,
      edges: page.edges.map(({ cursor, node }) => {
        const change = node.changes.find((c) => c.field === field);
        return {
          cursor,
          node: { field, before: change?.before ?? null, after: change?.after ?? null, event: node },
        };
      }),
    };
  }

  @Query(() => GraphQLJSON, {
    nullable: true,
    description:
      "The entity's state at `at`, by replaying its verified chain; null before it existed or after deletion.",
    complexity: fixedCost(CHAIN_VERIFICATION_COST),
  })
  async entityAt(
    @Context('req') req: Req,
    @Args('entityType') entityType: string,
    @Args('entityId', { type: () => ID }) entityId: string,
    @Args('at', { type: () => Date }) at: Date,
  ): Promise<unknown> {
    return this.queries.entityAt(readerOf(req), entityType, entityId, at);
  }

  @Query(() => AuditReportModel, {
    description: 'Event counts in [from, to), grouped by the dimensions.',
    complexity: unboundedListCost(RANGE_SCAN_COST),
  })
  async auditReport(
    @Context('req') req: Req,
    @Args('from', { type: () => Date }) from: Date,
    @Args('to', { type: () => Date }) to: Date,
    @Args('groupBy', { type: () => [AuditReportDimension] }) groupBy: AuditReportDimension[],
    @Args('filter', { type: () => AuditEventFilterInput, nullable: true })
    filter: AuditEventFilterInput | null,
  ): Promise<AuditReportModel> {
    checkRange(from, to);
    if (new Set(groupBy).size !== groupBy.length) throw invalid('groupBy repeats a dimension.', 'groupBy');
    const query = { ...toQuery(filter ?? {}), from, to };
    const rows = await this.queries.report(readerOf(req), query, groupBy);
    return { from, to, groupBy, rows, total: rows.reduce((sum, r) => sum + r.count, 0) };
  }

  @Query(() => [PrivilegeChangeModel], {
    description: 'Every change of a privileged field in [from, to), flagged when reverted within the window.',
    complexity: unboundedListCost(RANGE_SCAN_COST),
  })
  async privilegeChanges(
    @Context('req') req: Req,
    @Args('from', { type: () => Date }) from: Date,
    @Args('to', { type: () => Date }) to: Date,
  ): Promise<PrivilegeChangeModel[]> {
    checkRange(from, to);
    const changes = await this.queries.privilegeChanges(readerOf(req), from, to);
    return changes.map((c) => ({
      field: c.field,
      before: c.before,
      after: c.after,
      event: toEventModel(c.event),
      reverted: c.reverted,
      revertedBy: c.revertedBy && toEventModel(c.revertedBy),
    }));
  }

  @Query(() => [AuditCheckpointModel], {
    description: 'Signed checkpoints, newest first.',
    complexity: pageCost(),
  })
  @GlobalAuditorsOnly()
  async auditCheckpoints(
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
  ): Promise<AuditCheckpointModel[]> {
    const rows = await latestCheckpoints(sqlOf(this.orm.em), this.pageSize(first));
    return rows.map((row) => {
      const c = statedCheckpoint(row.note);
      return {
        origin: c.origin,
        treeSize: c.size,
        rootHash: c.root.toString('base64'),
        timestamp: c.time,
        keyId: row.key_id,
        note: row.note,
      };
    });
  }

  @Query(() => [AuditKeyModel], {
    description: 'The published signing keys: what a third party verifies with.',
    complexity: unboundedListCost(),
  })
  async auditKeys(): Promise<AuditKeyModel[]> {
    return (await this.options.witness.keys()).map((k) => ({
      ...k,
      publicKey: parseVerifierKey(k.verifierKey).publicKey.toString('base64'),
      noteVerifierKey: k.verifierKey,
    }));
  }

  /**
   * A page of `query`; `totalCount` only when the query selects it: a count reads every match
   * (240 ms over the 111,000 to 1,000,000 matches of the volume bench), the page only `first + 1`.
   */
  private async searchPage(
    req: Req,
    query: AuditEventQuery,
    {
      first,
      after,
      descending,
      kind,
    }: { first: number | null; after: string | null; descending: boolean; kind: string },
    info: GraphQLResolveInfo,
  ): Promise<AuditEventConnectionModel> {
    const size = this.pageSize(first);
    checkRange(query.from, query.to);
    const position = after
      ? decodeCursor(after, `${kind}:${descending ? 'desc' : 'asc'}`, ['timestamp', 'number'])
      : null;
    const reader = readerOf(req);
    const [page, totalCount] = await Promise.all([
      this.queries.page(reader, query, {
        first: size,
        after: position && { occurredAt: position[0] as string, globalSeq: position[1] as number },
        descending,
      }),
      // NOTE: not selected, never sent: GraphQL returns only the fields a query asks for.
      selectsField(info, 'totalCount') ? this.queries.count(reader, query) : 0,
    ]);
    const cursor = (e: EventWithDrift) =>
      encodeCursor(`${kind}:${descending ? 'desc' : 'asc'}`, [e.occurredAt, e.globalSeq]);
    return {
      ...connection(page.events, page.hasNextPage, position !== null, cursor),
      totalCount,
    };
  }

  private pageSize(first: number | null): number {
    const { defaultPageSize, maxPageSize } = this.options.api;
    if (first === null || first === undefined) return defaultPageSize;
    if (!Number.isInteger(first) || first < 1 || first > maxPageSize) {
      throw invalid(`first must be between 1 and ${maxPageSize}.`, 'first');
    }
    return first;
  }
}

const invalid = (message: string, argument: string) => new InvalidQueryInputError(message, argument);

/** Refuses from after to (AuditInputGuard has refused invalid and out-of-range date-times). */
function checkRange(from: Date | null | undefined, to: Date | null | undefined): void {
  if (from && to && from > to) throw invalid('from must not be after to.', 'from');
}

function toQuery(filter: AuditEventFilterInput): AuditEventQuery {
  const { action, actions, changedField, ...rest } = filter;
  // NOTE: operation_id is a uuid column: PostgreSQL would fail the whole query on any other text.
  if (typeof rest.operationId === 'string' && !isUuid(rest.operationId))
    throw invalid('operationId is not a UUID.', 'operationId');
  const all = [...(action ? [action] : []), ...(actions ?? [])];
  return {
    ...rest,
    actions: all.length ? all : undefined,
    changedFields: changedField ? [changedField] : undefined,
  };
}

function connection(
  events: EventWithDrift[],
  hasNextPage: boolean,
  hasPreviousPage: boolean,
  cursor: (e: EventWithDrift) => string,
): { edges: AuditEventConnectionModel['edges']; pageInfo: PageInfoModel } {
  const edges = events.map((e) => ({ cursor: cursor(e), node: toEventModel(e) }));
  return {
    edges,
    pageInfo: {
      hasNextPage,
      hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}

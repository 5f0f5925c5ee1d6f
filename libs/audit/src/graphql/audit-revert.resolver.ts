import { UseFilters, UseGuards } from '@nestjs/common';
import { Args, Context, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { InvalidQueryInputError } from '../errors/invalid-query-input.error';
import type { EventWithDrift } from '../query/audit-query.service';
import {
  AuditRevertService,
  type RestorePoint,
  type RevertOptions,
  type RevertPreview,
} from '../revert/audit-revert.service';
import type { FieldPlan, RevertConflictPolicy } from '../revert/revert-plan';
import { AuditErrorFilter } from './audit-error.filter';
import { toEventModel } from './audit-event.mapper';
import { AuditInputGuard } from './audit-input.guard';
import { CHAIN_VERIFICATION_COST, fixedCost } from './audit-query-costs';
import { AuditReadGuard, RevertersOnly } from './audit-read.guard';
import { AUDIT_READER, type AuditReader } from './audit-reader';
import {
  AuditRevertChangeModel,
  AuditRevertConflictPolicy,
  AuditRevertPreviewModel,
  AuditRevertResultModel,
} from './models/revert.model';

type Req = Record<symbol, unknown>;
const readerOf = (req: Req) => req[AUDIT_READER] as AuditReader;

/** The longest `reason` a revert records. */
const MAX_REASON_LENGTH = 500;

// The optional arguments the previews and writes share.
const OnConflictArg = () => Args('onConflict', { type: () => AuditRevertConflictPolicy, nullable: true });
const ExpectedHeadSeqArg = () => Args('expectedHeadSeq', { type: () => Int, nullable: true });
const ReasonArg = () => Args('reason', { type: () => String, nullable: true });
const AtArg = () => Args('at', { type: () => Date, nullable: true });
const ChainSeqArg = () => Args('chainSeq', { type: () => Int, nullable: true });

/**
 * Reverts and restores (docs/revert.md): previews are queries, the writes mutations. Each needs
 * the read and the revert permission, in the caller's tenant (AuditReadGuard records every
 * attempt, refused ones included); the write itself is recorded as a REVERT / RESTORE event, or
 * REVERT_FAILED / RESTORE_FAILED with the refusal's code.
 */
@Resolver()
@UseGuards(AuditReadGuard, AuditInputGuard)
@UseFilters(AuditErrorFilter)
export class AuditRevertResolver {
  constructor(private readonly reverts: AuditRevertService) {}

  @Query(() => AuditRevertPreviewModel, {
    description:
      'What reverting one event would do now: the patch, the result, the conflicts. Refuses a tampered trail.',
    complexity: fixedCost(CHAIN_VERIFICATION_COST),
  })
  @RevertersOnly()
  async previewRevert(
    @Context('req') req: Req,
    @Args('eventId', { type: () => ID }) eventId: string,
    @OnConflictArg() onConflict: RevertConflictPolicy | null,
  ): Promise<AuditRevertPreviewModel> {
    return toPreviewModel(await this.reverts.previewRevert(readerOf(req), eventId, onConflict ?? 'ABORT'));
  }

  @Query(() => AuditRevertPreviewModel, {
    description: 'What restoring a record to its state at `at` (or after `chainSeq`) would do now.',
    complexity: fixedCost(CHAIN_VERIFICATION_COST),
  })
  @RevertersOnly()
  async previewRestore(
    @Context('req') req: Req,
    @Args('entityType') entityType: string,
    @Args('entityId', { type: () => ID }) entityId: string,
    @AtArg() at: Date | null,
    @ChainSeqArg() chainSeq: number | null,
    @OnConflictArg() onConflict: RevertConflictPolicy | null,
  ): Promise<AuditRevertPreviewModel> {
    return toPreviewModel(
      await this.reverts.previewRestore(
        readerOf(req),
        entityType,
        entityId,
        pointOf(at, chainSeq),
        onConflict ?? 'ABORT',
      ),
    );
  }

  @Mutation(() => AuditRevertResultModel, {
    description: "Reverts one event's change as an audited REVERT operation (metadata.revertOf).",
    complexity: fixedCost(CHAIN_VERIFICATION_COST),
  })
  @RevertersOnly()
  async revertChange(
    @Context('req') req: Req,
    @Args('eventId', { type: () => ID }) eventId: string,
    @OnConflictArg() onConflict: RevertConflictPolicy | null,
    @ExpectedHeadSeqArg() expectedHeadSeq: number | null,
    @ReasonArg() reason: string | null,
  ): Promise<AuditRevertResultModel> {
    const options = writeOptions(onConflict, expectedHeadSeq, reason);
    return toResultModel(await this.reverts.revertChange(readerOf(req), eventId, options));
  }

  @Mutation(() => AuditRevertResultModel, {
    description:
      'Restores a record to its state at `at` (or after `chainSeq`) as an audited RESTORE operation.',
    complexity: fixedCost(CHAIN_VERIFICATION_COST),
  })
  @RevertersOnly()
  async restoreEntity(
    @Context('req') req: Req,
    @Args('entityType') entityType: string,
    @Args('entityId', { type: () => ID }) entityId: string,
    @AtArg() at: Date | null,
    @ChainSeqArg() chainSeq: number | null,
    @OnConflictArg() onConflict: RevertConflictPolicy | null,
    @ExpectedHeadSeqArg() expectedHeadSeq: number | null,
    @ReasonArg() reason: string | null,
  ): Promise<AuditRevertResultModel> {
    const options = writeOptions(onConflict, expectedHeadSeq, reason);
    const point = pointOf(at, chainSeq);
    return toResultModel(
      await this.reverts.restoreEntity(readerOf(req), entityType, entityId, point, options),
    );
  }
}

// NOTE: an argument left out arrives as undefined, not null.
const pointOf = (at?: Date | null, chainSeq?: number | null): RestorePoint => ({
  at: at ?? null,
  chainSeq: chainSeq ?? null,
});

function writeOptions(
  onConflict?: RevertConflictPolicy | null,
  expectedHeadSeq?: number | null,
  reason?: string | null,
): RevertOptions {
  if (reason != null && reason.length > MAX_REASON_LENGTH)
    throw new InvalidQueryInputError(`reason must be at most ${MAX_REASON_LENGTH} characters.`, 'reason');
  return {
    onConflict: onConflict ?? 'ABORT',
    expectedHeadSeq: expectedHeadSeq ?? null,
    reason: reason ?? null,
  };
}

function toChangeModel(f: FieldPlan): AuditRevertChangeModel {
  return {
    field: f.field,
    currentValue: f.currentValue,
    restoreValue: f.restoreValue,
    expectedValue: f.expectedValue,
    conflict: f.conflict,
    // NOTE: the planner's events are the verified trail's, each with its drift attached.
    lastChange: f.lastChange && toEventModel(f.lastChange as EventWithDrift),
  };
}

function toPreviewModel(p: RevertPreview): AuditRevertPreviewModel {
  const changes = p.plan.fields.map(toChangeModel);
  return {
    action: p.action,
    entityType: p.entityType,
    entityId: p.entityId,
    revertOf: p.revertOf,
    headSeq: p.headSeq,
    onConflict: p.policy,
    mode: p.decision.mode,
    blocked: p.decision.blocked,
    patch: p.decision.patch,
    currentState: p.plan.current,
    resultingState: p.decision.result,
    changes,
    conflicts: changes.filter((c) => c.conflict),
    skippedFields: p.decision.skipped.map((f) => f.field),
    notRestorable: p.plan.notRestorable,
  };
}

function toResultModel(
  outcome: Awaited<ReturnType<AuditRevertService['revertChange']>>,
): AuditRevertResultModel {
  return {
    applied: outcome.applied,
    operationId: outcome.operationId,
    appliedFields: outcome.applied ? outcome.preview.decision.applied.map((f) => f.field) : [],
    preview: toPreviewModel(outcome.preview),
  };
}

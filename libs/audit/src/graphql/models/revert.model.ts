import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { GraphQLJSON } from 'graphql-scalars';
import type { NotRestorableReason, RevertConflictPolicy, RevertMode } from '../../revert/revert-plan';
import { AuditEventModel } from './audit-event.model';

/** Typed by the planner's unions, so a value the API does not show fails to compile. */
export const AuditRevertConflictPolicy: { [P in RevertConflictPolicy]: P } = {
  ABORT: 'ABORT',
  SKIP_CONFLICTING: 'SKIP_CONFLICTING',
  OVERWRITE: 'OVERWRITE',
};
registerEnumType(AuditRevertConflictPolicy, {
  name: 'AuditRevertConflictPolicy',
  description: 'What a revert does with fields someone changed since the point it returns to.',
  valuesMap: {
    ABORT: { description: 'Refuse the whole revert (AUDIT_REVERT_CONFLICT): nothing is written.' },
    SKIP_CONFLICTING: { description: 'Write the other fields; leave the conflicting ones as they are.' },
    OVERWRITE: { description: 'Write every field, conflicting ones included.' },
  },
});

export const AuditRevertMode: { [M in RevertMode]: M } = {
  UPDATE: 'UPDATE',
  CREATE: 'CREATE',
  DELETE: 'DELETE',
  NONE: 'NONE',
};
registerEnumType(AuditRevertMode, {
  name: 'AuditRevertMode',
  description:
    'What applying does to the row: update fields, re-create a deleted record, delete a created one, or nothing.',
});

export const AuditNotRestorableReason: { [R in NotRestorableReason]: R } = {
  MASKED: 'MASKED',
  ERASED: 'ERASED',
  NOT_WRITABLE: 'NOT_WRITABLE',
};
registerEnumType(AuditNotRestorableReason, {
  name: 'AuditNotRestorableReason',
  valuesMap: {
    MASKED: { description: 'The ledger holds only [MASKED]: the value was never recorded.' },
    ERASED: { description: 'The value was personal data of an erased subject: it reads [ERASED].' },
    NOT_WRITABLE: {
      description: "The app's restorer does not write it (a key, a version, a managed timestamp).",
    },
  },
});

@ObjectType('AuditRevertChange', { description: 'One field a revert writes (or would, or leaves).' })
export class AuditRevertChangeModel {
  @Field()
  field!: string;
  @Field(() => GraphQLJSON, { nullable: true, description: 'The value now.' })
  currentValue!: unknown;
  @Field(() => GraphQLJSON, { nullable: true, description: 'The value the revert writes.' })
  restoreValue!: unknown;
  @Field(() => GraphQLJSON, {
    nullable: true,
    description:
      'The value the ledger says the field has now: after the reverted event, or at the trail head.',
  })
  expectedValue!: unknown;
  @Field({ description: 'The current value is not the expected one: someone changed it since.' })
  conflict!: boolean;
  @Field(() => AuditEventModel, {
    nullable: true,
    description:
      'The last sealed event after the point that changed the field: who and when. Null when none did (a change not sealed yet, or made outside the ledger).',
  })
  lastChange!: AuditEventModel | null;
}

@ObjectType('AuditNotRestorableField')
export class AuditNotRestorableFieldModel {
  @Field()
  field!: string;
  @Field(() => AuditNotRestorableReason)
  reason!: NotRestorableReason;
}

@ObjectType('AuditRevertPreview', {
  description: 'What a revert or restore does, as of now; nothing is written.',
})
export class AuditRevertPreviewModel {
  @Field({ description: 'REVERT or RESTORE: the action of the event the write records.' })
  action!: string;
  @Field()
  entityType!: string;
  @Field(() => ID)
  entityId!: string;
  @Field(() => [ID], {
    description: 'The events undone: the reverted one, or every state change after the point.',
  })
  revertOf!: string[];
  @Field(() => Int, { description: "The record's trail head (chain_seq) now: pass it as expectedHeadSeq." })
  headSeq!: number;
  @Field(() => AuditRevertConflictPolicy)
  onConflict!: RevertConflictPolicy;
  @Field(() => AuditRevertMode)
  mode!: RevertMode;
  @Field({
    description: 'True when ABORT meets a conflict: the write would be refused; patch shows the whole plan.',
  })
  blocked!: boolean;
  @Field(() => GraphQLJSON, { description: "RFC 6902 operations against the record's current state." })
  patch!: unknown;
  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'The current state (masked values masked); null when deleted.',
  })
  currentState!: unknown;
  @Field(() => GraphQLJSON, { nullable: true, description: 'The state after the patch; null when deleted.' })
  resultingState!: unknown;
  @Field(() => [AuditRevertChangeModel], { description: 'Every field whose value would change.' })
  changes!: AuditRevertChangeModel[];
  @Field(() => [AuditRevertChangeModel], { description: 'The changes whose field someone changed since.' })
  conflicts!: AuditRevertChangeModel[];
  @Field(() => [String], { description: 'The fields the chosen policy leaves as they are.' })
  skippedFields!: string[];
  @Field(() => [AuditNotRestorableFieldModel])
  notRestorable!: AuditNotRestorableFieldModel[];
}

@ObjectType('AuditRevertResult')
export class AuditRevertResultModel {
  @Field({ description: 'Whether anything was written (false when the record already had the values).' })
  applied!: boolean;
  @Field(() => ID, {
    nullable: true,
    description: "The audited operation's id: its REVERT / RESTORE event(s) carry it once sealed.",
  })
  operationId!: string | null;
  @Field(() => [String])
  appliedFields!: string[];
  @Field(() => AuditRevertPreviewModel, { description: 'The plan that was applied.' })
  preview!: AuditRevertPreviewModel;
}

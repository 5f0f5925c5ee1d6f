import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { GraphQLJSON } from 'graphql-scalars';

@ObjectType('AuditActor')
export class AuditActorModel {
  @Field(() => String, { description: 'USER, SYSTEM or API_KEY.' })
  type!: string;
  @Field(() => ID)
  id!: string;
  @Field(() => String, { nullable: true })
  display!: string | null;
}

@ObjectType('AuditSource')
export class AuditSourceModel {
  @Field(() => String, { nullable: true })
  ip!: string | null;
  @Field(() => String, { nullable: true })
  userAgent!: string | null;
  @Field(() => String, { nullable: true })
  requestId!: string | null;
  @Field(() => String, { nullable: true })
  sessionId!: string | null;
}

@ObjectType('AuditFieldChange', { description: 'One changed field; masked values read [MASKED].' })
export class AuditFieldChangeModel {
  @Field()
  field!: string;
  @Field(() => GraphQLJSON, { nullable: true })
  before!: unknown;
  @Field(() => GraphQLJSON, { nullable: true })
  after!: unknown;
}

@ObjectType('AuditEvent', {
  description: 'A sealed audit event: who did what, to which record, when and from where.',
})
export class AuditEventModel {
  @Field(() => ID)
  id!: string;
  @Field()
  occurredAt!: Date;
  @Field()
  recordedAt!: Date;
  @Field()
  action!: string;
  @Field()
  entityType!: string;
  @Field(() => ID)
  entityId!: string;
  @Field(() => String, { nullable: true })
  tenantId!: string | null;
  @Field(() => String, { nullable: true })
  module!: string | null;
  @Field(() => String, { nullable: true })
  transactionCode!: string | null;
  @Field(() => AuditActorModel)
  actor!: AuditActorModel;
  @Field(() => AuditSourceModel)
  source!: AuditSourceModel;
  @Field(() => GraphQLJSON, { nullable: true })
  before!: unknown;
  @Field(() => GraphQLJSON, { nullable: true })
  after!: unknown;
  @Field(() => [AuditFieldChangeModel])
  changes!: AuditFieldChangeModel[];
  @Field(() => GraphQLJSON)
  metadata!: unknown;
  @Field(() => Int)
  chainSeq!: number;
  @Field(() => Int)
  globalSeq!: number;
  @Field()
  prevHash!: string;
  @Field()
  hash!: string;
  @Field(() => String, { nullable: true, description: 'keySetId::keyId::algoVersion::hash' })
  integrity!: string | null;
  @Field(() => [AuditFieldChangeModel], {
    nullable: true,
    description:
      'Fields changed outside audited code just before this event (its DRIFT_DETECTED event), else null.',
  })
  drift!: AuditFieldChangeModel[] | null;
}

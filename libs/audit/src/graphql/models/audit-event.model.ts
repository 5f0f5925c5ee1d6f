import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { GraphQLJSON } from 'graphql-scalars';
import type { EventOrigin } from '../../events/audit-event';

/** `EventOrigin` in the API. NOTE: typed by it, so an origin the API does not show fails to compile. */
export const AuditEventOrigin: { [O in EventOrigin]: O } = {
  APP: 'APP',
  DATABASE: 'DATABASE',
  ASSERTED: 'ASSERTED',
};
registerEnumType(AuditEventOrigin, {
  name: 'AuditEventOrigin',
  description: 'How an event reached the ledger, as the database decided it.',
  valuesMap: {
    APP: { description: 'A row change the database captured inside an audited application transaction.' },
    DATABASE: {
      description: 'A row change the database captured with no application context (psql, a migration…).',
    },
    ASSERTED: { description: 'An event the application wrote itself: its snapshots are its word.' },
  },
});

@ObjectType('AuditActor')
export class AuditActorModel {
  @Field(() => String, {
    description: 'USER, SYSTEM, API_KEY, or DATABASE (the role of a change made outside the application).',
  })
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

@ObjectType('AuditDatabaseFacts', {
  description: "What PostgreSQL stamped on the event's outbox row; the application cannot set it.",
})
export class AuditDatabaseFactsModel {
  @Field({ description: 'txid_current() of the transaction that wrote the row.' })
  transactionId!: string;
  @Field({ description: 'session_user: the database role that was logged in.' })
  role!: string;
  @Field({ description: 'clock_timestamp() when the row was written.' })
  time!: Date;
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
  @Field(() => ID, {
    nullable: true,
    description:
      'The operation (an @Auditable call or one application transaction) whose changes share it; null outside the application and before audit/v1.1.',
  })
  operationId!: string | null;
  @Field(() => AuditEventOrigin, { nullable: true, description: 'Null on events sealed before audit/v1.1.' })
  origin!: EventOrigin | null;
  @Field(() => AuditDatabaseFactsModel, {
    nullable: true,
    description: 'Null on events sealed before audit/v1.1.',
  })
  database!: AuditDatabaseFactsModel | null;
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

import { Field, ID, InputType, registerEnumType } from '@nestjs/graphql';

@InputType('AuditEventFilter')
export class AuditEventFilterInput {
  @Field(() => String, { nullable: true })
  entityType?: string;
  @Field(() => ID, { nullable: true })
  entityId?: string;
  @Field(() => String, { nullable: true })
  actorId?: string;
  @Field(() => String, { nullable: true, description: 'USER, SYSTEM, API_KEY or DATABASE.' })
  actorType?: string;
  @Field(() => String, { nullable: true })
  action?: string;
  @Field(() => [String], { nullable: true })
  actions?: string[];
  @Field(() => String, { nullable: true })
  module?: string;
  @Field(() => String, { nullable: true })
  tenantId?: string;
  @Field(() => String, { nullable: true })
  transactionCode?: string;
  @Field(() => String, { nullable: true })
  requestId?: string;
  @Field(() => ID, { nullable: true, description: 'Every event of one operation (AuditEvent.operationId).' })
  operationId?: string;
  @Field(() => String, { nullable: true })
  changedField?: string;
  @Field(() => Date, { nullable: true, description: 'occurredAt ≥ from' })
  from?: Date;
  @Field(() => Date, { nullable: true, description: 'occurredAt < to' })
  to?: Date;
}

export enum AuditEventOrder {
  OCCURRED_AT_ASC = 'OCCURRED_AT_ASC',
  OCCURRED_AT_DESC = 'OCCURRED_AT_DESC',
}
registerEnumType(AuditEventOrder, { name: 'AuditEventOrder' });

import { Field, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { AuditEventModel, AuditFieldChangeModel } from './audit-event.model';

export enum AuditReportDimension {
  ACTION = 'ACTION',
  ACTOR = 'ACTOR',
  MODULE = 'MODULE',
  ENTITY_TYPE = 'ENTITY_TYPE',
  TENANT = 'TENANT',
  TRANSACTION_CODE = 'TRANSACTION_CODE',
  DAY = 'DAY',
  HOUR = 'HOUR',
}
registerEnumType(AuditReportDimension, { name: 'AuditReportDimension' });

@ObjectType('AuditReportKey')
export class AuditReportKeyModel {
  @Field(() => AuditReportDimension)
  dimension!: AuditReportDimension;
  @Field(() => String, { nullable: true, description: 'DAY and HOUR as ISO-8601 UTC.' })
  value!: string | null;
}

@ObjectType('AuditReportRow')
export class AuditReportRowModel {
  @Field(() => [AuditReportKeyModel])
  keys!: AuditReportKeyModel[];
  @Field(() => Int)
  count!: number;
}

@ObjectType('AuditReport')
export class AuditReportModel {
  @Field()
  from!: Date;
  @Field()
  to!: Date;
  @Field(() => [AuditReportDimension])
  groupBy!: AuditReportDimension[];
  @Field(() => [AuditReportRowModel])
  rows!: AuditReportRowModel[];
  @Field(() => Int)
  total!: number;
}

@ObjectType('PrivilegeChange', {
  description: 'A change of a privileged field; reverted when undone within the window.',
})
export class PrivilegeChangeModel extends AuditFieldChangeModel {
  @Field(() => AuditEventModel)
  event!: AuditEventModel;
  @Field()
  reverted!: boolean;
  @Field(() => AuditEventModel, { nullable: true })
  revertedBy!: AuditEventModel | null;
}

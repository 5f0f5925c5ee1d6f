import { Field, Int, ObjectType } from '@nestjs/graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { AuditEventModel } from './audit-event.model';
import { ChainVerificationModel } from './verification.model';

@ObjectType('AuditPageInfo')
export class PageInfoModel {
  @Field()
  hasNextPage!: boolean;
  @Field()
  hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true })
  startCursor!: string | null;
  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType('AuditEventEdge')
export class AuditEventEdgeModel {
  @Field()
  cursor!: string;
  @Field(() => AuditEventModel)
  node!: AuditEventModel;
}

@ObjectType('AuditEventConnection')
export class AuditEventConnectionModel {
  @Field(() => [AuditEventEdgeModel])
  edges!: AuditEventEdgeModel[];
  @Field(() => PageInfoModel)
  pageInfo!: PageInfoModel;
  @Field(() => Int)
  totalCount!: number;
}

@ObjectType('AuditTrailConnection', {
  description: "An entity's verified trail, in chain (chronological) order.",
})
export class AuditTrailConnectionModel extends AuditEventConnectionModel {
  @Field(() => ChainVerificationModel)
  verification!: ChainVerificationModel;
}

@ObjectType('FieldHistoryEntry', { description: 'One change of the field, with the event that made it.' })
export class FieldHistoryEntryModel {
  @Field(() => GraphQLJSON, { nullable: true })
  before!: unknown;
  @Field(() => GraphQLJSON, { nullable: true })
  after!: unknown;
  @Field(() => AuditEventModel)
  event!: AuditEventModel;
}

@ObjectType('FieldHistoryEdge')
export class FieldHistoryEdgeModel {
  @Field()
  cursor!: string;
  @Field(() => FieldHistoryEntryModel)
  node!: FieldHistoryEntryModel;
}

@ObjectType('FieldHistoryConnection')
export class FieldHistoryConnectionModel {
  @Field(() => [FieldHistoryEdgeModel])
  edges!: FieldHistoryEdgeModel[];
  @Field(() => PageInfoModel)
  pageInfo!: PageInfoModel;
  @Field(() => Int)
  totalCount!: number;
}

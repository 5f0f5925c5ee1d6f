import { Field, Int, ObjectType } from '@nestjs/graphql';
import type { Type } from '@nestjs/common';
import { AuditEventModel, AuditFieldChangeModel } from './audit-event.model';
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

/** A Relay connection type named `<name>Connection` over nodes of `node` (edges `<name>Edge`). */
function Connection<T>(node: Type<T>, name: string) {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field()
    cursor!: string;
    @Field(() => node)
    node!: T;
  }

  @ObjectType(`${name}Connection`, { isAbstract: true })
  abstract class ConnectionType {
    @Field(() => [Edge])
    edges!: Edge[];
    @Field(() => PageInfoModel)
    pageInfo!: PageInfoModel;
    @Field(() => Int)
    totalCount!: number;
  }
  return ConnectionType;
}

@ObjectType('AuditEventConnection')
export class AuditEventConnectionModel extends Connection(AuditEventModel, 'AuditEvent') {}

@ObjectType('AuditTrailConnection', {
  description: "An entity's verified trail, in chain (chronological) order.",
})
export class AuditTrailConnectionModel extends AuditEventConnectionModel {
  @Field(() => ChainVerificationModel)
  verification!: ChainVerificationModel;
}

@ObjectType('FieldHistoryEntry', { description: 'One change of the field, with the event that made it.' })
export class FieldHistoryEntryModel extends AuditFieldChangeModel {
  @Field(() => AuditEventModel)
  event!: AuditEventModel;
}

@ObjectType('FieldHistoryConnection')
export class FieldHistoryConnectionModel extends Connection(FieldHistoryEntryModel, 'FieldHistory') {}

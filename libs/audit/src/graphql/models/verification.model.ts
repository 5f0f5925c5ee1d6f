import { Field, ID, Int, ObjectType } from '@nestjs/graphql';

@ObjectType('ChainFailure')
export class ChainFailureModel {
  @Field(() => Int)
  chainSeq!: number;
  @Field(() => ID, { nullable: true })
  eventId!: string | null;
  @Field({ description: 'HASH_MISMATCH, BROKEN_LINK, TRUNCATED … (docs/integrity.md §8).' })
  reason!: string;
  @Field()
  detail!: string;
}

@ObjectType('ChainVerification')
export class ChainVerificationModel {
  @Field()
  valid!: boolean;
  @Field(() => Int)
  checkedEvents!: number;
  @Field(() => Int)
  headSeq!: number;
  @Field(() => [ChainFailureModel])
  failures!: ChainFailureModel[];
}

@ObjectType('LogFailure')
export class LogFailureModel {
  @Field()
  reason!: string;
  @Field(() => Int, { nullable: true })
  globalSeq!: number | null;
  @Field()
  detail!: string;
}

@ObjectType('LogVerification')
export class LogVerificationModel {
  @Field()
  valid!: boolean;
  @Field()
  mode!: string;
  @Field(() => Int)
  fromSize!: number;
  @Field(() => Int)
  treeSize!: number;
  @Field(() => Int)
  witnessedSize!: number;
  @Field(() => Int)
  checkedEvents!: number;
  @Field(() => Int)
  checkedCheckpoints!: number;
  @Field(() => [LogFailureModel])
  failures!: LogFailureModel[];
}

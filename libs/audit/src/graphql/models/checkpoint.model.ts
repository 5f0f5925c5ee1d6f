import { Field, Int, ObjectType } from '@nestjs/graphql';

@ObjectType('AuditCheckpoint')
export class AuditCheckpointModel {
  @Field()
  origin!: string;
  @Field(() => Int)
  treeSize!: number;
  @Field({ description: 'base64, as in the note' })
  rootHash!: string;
  @Field()
  timestamp!: Date;
  @Field()
  keyId!: string;
  @Field({ description: 'The signed checkpoint text exactly as signed (C2SP signed note).' })
  note!: string;
}

@ObjectType('AuditKey')
export class AuditKeyModel {
  @Field()
  keyId!: string;
  @Field()
  keySetId!: string;
  @Field()
  algorithm!: string;
  @Field({ description: 'base64 of the raw Ed25519 public key' })
  publicKey!: string;
  @Field()
  notBefore!: Date;
  @Field(() => Date, { nullable: true })
  notAfter!: Date | null;
  @Field()
  status!: string;
  @Field(() => Date, { nullable: true })
  compromisedAt!: Date | null;
  @Field({ description: '<name>+<hex key id>+<base64(0x01 || public key)>' })
  noteVerifierKey!: string;
}

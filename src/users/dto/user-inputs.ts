import { Field, ID, InputType, registerEnumType } from '@nestjs/graphql';
import { IsIn, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { ROLES, type Role } from '../user.entity';
import { IsSafeEmail, IsSafeText } from './safe-text.validator';

export const RoleEnum = Object.fromEntries(ROLES.map((r) => [r, r])) as { [K in Role]: K };
registerEnumType(RoleEnum, { name: 'Role' });

const USERNAME = /^[a-z0-9_.-]+$/;

@InputType()
export class CreateUserInput {
  @Field()
  @IsString()
  @Length(3, 64)
  @Matches(USERNAME, { message: 'username may contain a-z, 0-9, _ . - only' })
  username!: string;

  @Field()
  @IsSafeEmail()
  @MaxLength(254)
  email!: string;

  @Field()
  @IsString()
  @Length(8, 256)
  @IsSafeText()
  password!: string;

  @Field(() => RoleEnum)
  @IsIn(ROLES)
  role!: Role;

  @Field(() => ID)
  @IsString()
  @Length(1, 64)
  @IsSafeText()
  tenantId!: string;
}

/** The only fields an update may touch: anything else in a request body is rejected (mass assignment). */
@InputType()
export class UpdateUserInput {
  @Field({ nullable: true })
  @IsOptional()
  @IsString()
  @Length(3, 64)
  @Matches(USERNAME, { message: 'username may contain a-z, 0-9, _ . - only' })
  username?: string;

  @Field({ nullable: true })
  @IsOptional()
  @IsSafeEmail()
  @MaxLength(254)
  email?: string;

  @Field(() => RoleEnum, { nullable: true })
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;
}

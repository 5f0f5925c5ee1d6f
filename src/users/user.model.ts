import { Field, ID, ObjectType } from '@nestjs/graphql';
import { RoleEnum } from './dto/user-inputs';
import type { Role, User } from './user.entity';

/** A user as the API shows it: never the password hash. */
@ObjectType('User')
export class UserModel {
  @Field(() => ID)
  id!: string;

  @Field()
  username!: string;

  @Field()
  email!: string;

  @Field(() => RoleEnum)
  role!: Role;

  @Field(() => String, { nullable: true })
  tenantId!: string | null;

  @Field()
  active!: boolean;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;

  static from(user: User): UserModel {
    const { id, username, email, role, tenantId, active, createdAt, updatedAt } = user;
    return Object.assign(new UserModel(), {
      id,
      username,
      email,
      role,
      tenantId,
      active,
      createdAt,
      updatedAt,
    });
  }
}

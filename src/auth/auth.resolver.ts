import { Args, Field, Mutation, ObjectType, Resolver } from '@nestjs/graphql';
import { AuthService } from './auth.service';

@ObjectType()
export class AuthPayload {
  @Field()
  token!: string;
}

@Resolver()
export class AuthResolver {
  constructor(private readonly auth: AuthService) {}

  @Mutation(() => AuthPayload)
  async login(@Args('username') username: string, @Args('password') password: string): Promise<AuthPayload> {
    return { token: await this.auth.login(username, password) };
  }
}

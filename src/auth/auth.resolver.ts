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

  /**
   * A wrong username or password answers UNAUTHENTICATED; too many recent failures
   * TOO_MANY_REQUESTS (with `retryAfterSeconds`); an absurdly long value or a NUL BAD_USER_INPUT.
   */
  @Mutation(() => AuthPayload)
  async login(@Args('username') username: string, @Args('password') password: string): Promise<AuthPayload> {
    return { token: await this.auth.login(username, password) };
  }
}

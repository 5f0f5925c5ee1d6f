import { ParseUUIDPipe } from '@nestjs/common';
import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/principal';
import { Authenticated } from '../auth/roles.decorator';
import { SafeTextPipe } from './dto/safe-text.validator';
import { CreateUserInput, UpdateUserInput } from './dto/user-inputs';
import { UserModel } from './user.model';
import { UsersService } from './users.service';

@Resolver(() => UserModel)
@Authenticated()
export class UsersResolver {
  constructor(private readonly service: UsersService) {}

  @Mutation(() => UserModel)
  async createUser(@Args('input') input: CreateUserInput, @CurrentPrincipal() principal: Principal) {
    return UserModel.from(await this.service.create(input, principal));
  }

  @Mutation(() => UserModel)
  async updateUser(
    @Args('id', { type: () => ID }, ParseUUIDPipe) id: string,
    @Args('input') input: UpdateUserInput,
    @CurrentPrincipal() principal: Principal,
  ) {
    return UserModel.from(await this.service.update(id, input, principal));
  }

  @Mutation(() => Boolean)
  async deleteUser(
    @Args('id', { type: () => ID }, ParseUUIDPipe) id: string,
    @CurrentPrincipal() principal: Principal,
  ) {
    return this.service.delete(id, principal);
  }

  /** Deactivates the tenant's active users but the caller (an admin of the tenant, or a global admin); their number. */
  @Mutation(() => Int)
  async deactivateTenantUsers(
    @Args('tenantId', new SafeTextPipe('tenantId', 64)) tenantId: string,
    @CurrentPrincipal() principal: Principal,
  ) {
    return this.service.deactivateTenant(tenantId, principal);
  }

  @Query(() => UserModel)
  async user(
    @Args('id', { type: () => ID }, ParseUUIDPipe) id: string,
    @CurrentPrincipal() principal: Principal,
  ) {
    return UserModel.from(await this.service.findOne(id, principal));
  }

  @Query(() => [UserModel])
  async users(@CurrentPrincipal() principal: Principal) {
    return (await this.service.list(principal)).map((u) => UserModel.from(u));
  }
}

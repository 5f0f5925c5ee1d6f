import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  Injectable,
  NotFoundException,
  type OnModuleInit,
} from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Auditable, AuditRevertService, type AuditRestoreRequest } from 'audit-ledger';
import { hashPassword } from '../auth/passwords';
import type { Principal } from '../auth/principal';
import type { CreateUserInput, UpdateUserInput } from './dto/user-inputs';
import { ROLES, User, type Role } from './user.entity';

function canManage(principal: Principal, tenantId: string | null): boolean {
  return principal.role === 'admin' && (principal.tenantId === null || principal.tenantId === tenantId);
}

function canSee(principal: Principal, user: User): boolean {
  if (principal.sub === user.id) return true;
  if (principal.role === 'user') return false;
  return principal.tenantId === null || principal.tenantId === user.tenantId;
}

/** What a revert may write to a user: never the key, the tenant, the password or the token version. */
const REVERTIBLE_FIELDS = ['username', 'email', 'role', 'active'];

@Injectable()
export class UsersService implements OnModuleInit {
  constructor(
    private readonly em: EntityManager,
    private readonly reverts: AuditRevertService,
  ) {}

  /** Reverts of users go through `restore`: the same rules as an update (docs/revert.md). */
  onModuleInit(): void {
    this.reverts.registerRestorer(User, {
      writable: REVERTIBLE_FIELDS,
      restore: (request) => this.restore(request),
    });
  }

  @Auditable({ entity: User, action: 'CREATE', module: 'identity', transactionCode: 'USER_CREATE' })
  async create(input: CreateUserInput, principal: Principal): Promise<User> {
    if (!canManage(principal, input.tenantId))
      throw new ForbiddenException(`Cannot create users in ${input.tenantId}`);
    const user = this.em.create(User, {
      username: input.username,
      email: input.email,
      role: input.role,
      tenantId: input.tenantId,
      passwordHash: await hashPassword(input.password),
    });
    await this.flushUnique(input.username);
    return user;
  }

  @Auditable({
    entity: User,
    action: 'UPDATE',
    id: (id: string) => id,
    module: 'identity',
    transactionCode: 'USER_UPDATE',
  })
  async update(id: string, changes: UpdateUserInput, principal: Principal): Promise<User> {
    const user = await this.visible(id, principal);
    const self = principal.sub === user.id;
    if (!canManage(principal, user.tenantId) && !(self && changes.role === undefined)) {
      throw new ForbiddenException(`Cannot update user ${id}`);
    }
    // Only the three updatable fields, named one by one: nothing else can be assigned.
    const { username, email, role } = changes;
    this.em.assign(user, { username, email, role }, { ignoreUndefined: true });
    await this.flushUnique(username);
    return user;
  }

  @Auditable({
    entity: User,
    action: 'DELETE',
    id: (id: string) => id,
    module: 'identity',
    transactionCode: 'USER_DELETE',
  })
  async delete(id: string, principal: Principal): Promise<boolean> {
    const user = await this.visible(id, principal);
    if (!canManage(principal, user.tenantId)) throw new ForbiddenException(`Cannot delete user ${id}`);
    this.em.remove(user);
    return true;
  }

  /**
   * Deactivates every active user of a tenant but the caller, in one statement: one operation whose
   * rows the database records one event each (DEACTIVATE, sharing the call's operation id).
   * NOTE: a native update runs no `onUpdate` hook, so `updatedAt` is set here.
   */
  @Auditable({
    entity: User,
    action: 'DEACTIVATE',
    id: () => null,
    module: 'identity',
    transactionCode: 'USER_BULK_DEACTIVATE',
  })
  async deactivateTenant(tenantId: string, principal: Principal): Promise<number> {
    if (!canManage(principal, tenantId))
      throw new ForbiddenException(`Cannot deactivate users in ${tenantId}`);
    return this.em.nativeUpdate(
      User,
      { tenantId, active: true, id: { $ne: principal.sub } },
      { active: false, updatedAt: new Date() },
    );
  }

  /**
   * Applies a revert inside the library's audited REVERT / RESTORE operation (which checked the
   * `audit:revert` permission and the tenant). The role must still be one the app knows; the
   * username still unique. A re-created user gets an unusable random password: it must be reset,
   * since the ledger never held the hash (masked).
   */
  private async restore({ mode, values, entity, id }: AuditRestoreRequest<User>): Promise<void> {
    if (values.role !== undefined && !ROLES.includes(values.role as Role))
      throw new BadRequestException('Unknown role');
    if (mode === 'DELETE') {
      this.em.remove(entity!);
      return;
    }
    const fields = Object.fromEntries(
      REVERTIBLE_FIELDS.filter((f) => f in values).map((f) => [f, values[f]]),
    );
    if (mode === 'UPDATE') {
      this.em.assign(entity!, fields);
    } else {
      const tenantId = typeof values.tenantId === 'string' ? values.tenantId : null;
      const passwordHash = await hashPassword(randomBytes(32).toString('base64url'));
      this.em.create(User, { ...fields, id: id as string, tenantId, passwordHash } as never, {
        persist: true,
      });
    }
    await this.flushUnique(typeof values.username === 'string' ? values.username : undefined);
  }

  async findOne(id: string, principal: Principal): Promise<User> {
    return this.visible(id, principal);
  }

  async list(principal: Principal): Promise<User[]> {
    if (principal.role === 'user') return this.em.find(User, { id: principal.sub });
    const where = principal.tenantId === null ? {} : { tenantId: principal.tenantId };
    return this.em.find(User, where, { orderBy: { username: 'asc' } });
  }

  /** Whether user `id` exists in `tenantId` (one indexed read; another tenant's user does not). */
  async existsInTenant(id: string, tenantId: string): Promise<boolean> {
    return (await this.em.count(User, { id, tenantId })) > 0;
  }

  async count(): Promise<number> {
    return this.em.fork().count(User);
  }

  private async visible(id: string, principal: Principal): Promise<User> {
    const user = await this.em.findOne(User, { id });
    if (!user) throw new NotFoundException(`User ${id} not found`);
    if (!canSee(principal, user)) throw new ForbiddenException(`User ${id} is outside your tenant or role`);
    return user;
  }

  private async flushUnique(username: string | undefined): Promise<void> {
    try {
      await this.em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw new ConflictException(`Username ${username} is taken`);
      }
      throw error;
    }
  }
}

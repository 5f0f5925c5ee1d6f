import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AuditService } from 'audit-ledger';
import { User } from '../users/user.entity';
import { verifyPassword } from './passwords';
import type { Principal } from './principal';

@Injectable()
export class AuthService {
  constructor(
    private readonly em: EntityManager,
    private readonly jwt: JwtService,
    private readonly audit: AuditService,
  ) {}

  /** Issues a token; every attempt is audited with the attempted username, never the password. */
  async login(username: string, password: string): Promise<string> {
    const user = await this.em.findOne(User, { username });
    const ok = user !== null && (await verifyPassword(password, user.passwordHash));
    if (!user || !ok || !user.active) {
      await this.audit.record({
        action: 'LOGIN_FAILURE',
        entityType: 'User',
        entityId: user?.id ?? `username:${username}`,
        tenantId: user?.tenantId ?? null,
        module: 'identity',
        transactionCode: 'AUTH_LOGIN',
        metadata: { username, reason: !user ? 'UNKNOWN_USER' : !ok ? 'BAD_PASSWORD' : 'INACTIVE' },
      });
      throw new UnauthorizedException('Invalid username or password');
    }
    const principal: Principal = {
      sub: user.id,
      username: user.username,
      role: user.role,
      tenantId: user.tenantId,
    };
    await this.audit.record({
      action: 'LOGIN_SUCCESS',
      entityType: 'User',
      entityId: user.id,
      tenantId: user.tenantId,
      module: 'identity',
      transactionCode: 'AUTH_LOGIN',
      actor: { type: 'USER', id: user.id, display: user.username },
      metadata: { username },
    });
    return this.jwt.signAsync({ ...principal });
  }
}

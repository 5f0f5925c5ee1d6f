import { EntityManager } from '@mikro-orm/postgresql';
import {
  ForbiddenException,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import { User, type Role } from '../users/user.entity';
import type { Principal } from './principal';
import { requestOf } from './request-of';
import { ROLES_METADATA } from './roles.decorator';
import { isTokenClaims } from './token-claims';

/**
 * Bearer authentication: a valid HS256 token (signature and expiry) names a user and the
 * credentials version it was issued at; `req.user` is built from that user's current row (one
 * primary-key read per request), so a deleted or deactivated user, or a token issued before the
 * user's role, tenant or password changed, is refused (401). Routes marked `@Authenticated(...)`
 * then require a principal with one of the roles.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly jwt: JwtService,
    private readonly reflector: Reflector,
    private readonly em: EntityManager,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = requestOf(context);
    const header = req.headers.authorization;
    if (header) req.user = await this.authenticate(header);
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!roles) return true;
    if (!req.user) throw new UnauthorizedException('Authentication required');
    if (roles.length > 0 && !roles.includes(req.user.role)) {
      throw new ForbiddenException(`Requires role ${roles.join(' or ')}`);
    }
    return true;
  }

  private async authenticate(header: string): Promise<Principal> {
    const [scheme, token] = header.split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !token)
      throw new UnauthorizedException('Expected a Bearer token');
    const claims = await this.jwt
      .verifyAsync<Record<string, unknown>>(token, { algorithms: ['HS256'] })
      .catch(() => null);
    // NOTE: one answer for every refusal, so a token's holder learns nothing about the account.
    const refused = new UnauthorizedException('Invalid or expired token');
    if (!isTokenClaims(claims)) throw refused;
    // A fork: the principal's row is read fresh, never from (or into) the request's identity map.
    const user = await this.em.fork().findOne(User, { id: claims.sub });
    if (!user || !user.active || user.credentialsVersion !== claims.ver) throw refused;
    return { sub: user.id, username: user.username, role: user.role, tenantId: user.tenantId };
  }
}

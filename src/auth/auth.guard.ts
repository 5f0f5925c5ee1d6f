import {
  ForbiddenException,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import type { Role } from '../users/user.entity';
import type { Principal } from './principal';
import { requestOf } from './request-of';
import { ROLES_METADATA } from './roles.decorator';

/**
 * Stateless bearer authentication: a valid HS256 token (signature and expiry) sets `req.user`
 * from its claims; an invalid one is rejected. Routes marked `@Authenticated(...)` then require a
 * principal with one of the roles.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly jwt: JwtService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = requestOf(context);
    const header = req.headers.authorization;
    if (header) {
      const [scheme, token] = header.split(' ');
      if (scheme?.toLowerCase() !== 'bearer' || !token)
        throw new UnauthorizedException('Expected a Bearer token');
      try {
        const claims = await this.jwt.verifyAsync<Principal>(token, { algorithms: ['HS256'] });
        req.user = {
          sub: claims.sub,
          username: claims.username,
          role: claims.role,
          tenantId: claims.tenantId ?? null,
        };
      } catch {
        throw new UnauthorizedException('Invalid or expired token');
      }
    }
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
}

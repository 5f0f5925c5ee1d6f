import { EntityManager } from '@mikro-orm/postgresql';
import {
  Inject,
  Injectable,
  UnauthorizedException,
  UnprocessableEntityException,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { AuditContextService, AuditService } from 'audit-ledger';
import { appConfig } from '../config/app-config.provider';
import { User } from '../users/user.entity';
import { LoginThrottle, LoginThrottledException } from './login-throttle';
import { hashPassword, verifyPassword } from './passwords';
import type { TokenClaims } from './token-claims';
import { pseudonymKey, usernamePseudonym } from './username-pseudonym';

/** Longest username and password a login looks at: anything longer is no credential, only load. */
export const MAX_LOGIN_USERNAME = 256;
export const MAX_LOGIN_PASSWORD = 1024;

type FailureReason = 'UNKNOWN_USER' | 'BAD_PASSWORD' | 'INACTIVE' | 'THROTTLED' | 'INVALID_INPUT';

const acceptable = (value: string, max: number) => value.length <= max && !value.includes('\0');

@Injectable()
export class AuthService implements OnModuleDestroy {
  private readonly throttle: LoginThrottle;
  private readonly pseudonymKey: Buffer;
  // Checked when the username is unknown, so that an unknown name costs the same time as a known one.
  private readonly decoyHash = hashPassword('decoy: no user has this password');

  constructor(
    private readonly em: EntityManager,
    private readonly jwt: JwtService,
    private readonly audit: AuditService,
    private readonly context: AuditContextService,
    @Inject(appConfig.KEY) config: ConfigType<typeof appConfig>,
  ) {
    this.throttle = new LoginThrottle(config.redisUrl, `${config.queuePrefix}:login`, config.loginThrottle);
    this.pseudonymKey = pseudonymKey(config.jwtSecret);
  }

  async onModuleDestroy(): Promise<void> {
    await this.throttle.close();
  }

  /**
   * Issues a token naming the user and its credentials version. Every attempt is audited: under
   * the user's id when the username exists, else under `username-hmac:<HMAC-SHA256>` (an attempted
   * username may be a mistyped password: it is never recorded, in the event or in Redis).
   * @throws LoginThrottledException (429), UnprocessableEntityException (absurd input), UnauthorizedException
   */
  async login(username: string, password: string): Promise<string> {
    const pseudonym = usernamePseudonym(this.pseudonymKey, username);
    const valid = acceptable(username, MAX_LOGIN_USERNAME) && acceptable(password, MAX_LOGIN_PASSWORD);
    const ip = this.context.snapshot().source.ip ?? 'unknown';
    const attempt = await this.throttle.attempt(pseudonym, ip).catch(async (error: unknown) => {
      if (error instanceof LoginThrottledException) {
        const user = valid ? await this.em.findOne(User, { username }) : null;
        await this.recordFailure(user, pseudonym, 'THROTTLED');
      }
      throw error;
    });
    if (!valid) {
      await this.recordFailure(null, pseudonym, 'INVALID_INPUT');
      // NOTE: 422, which GraphQL names BAD_USER_INPUT; the message never echoes the value.
      throw new UnprocessableEntityException(
        `username (at most ${MAX_LOGIN_USERNAME} characters) and password (at most ${MAX_LOGIN_PASSWORD}) must not hold NUL`,
      );
    }
    const user = await this.em.findOne(User, { username });
    const ok = await verifyPassword(password, user?.passwordHash ?? (await this.decoyHash));
    if (!user || !ok || !user.active) {
      await this.recordFailure(user, pseudonym, !user ? 'UNKNOWN_USER' : !ok ? 'BAD_PASSWORD' : 'INACTIVE');
      throw new UnauthorizedException('Invalid username or password');
    }
    await attempt.succeeded();
    await this.audit.record({
      action: 'LOGIN_SUCCESS',
      entityType: 'User',
      entityId: user.id,
      tenantId: user.tenantId,
      module: 'identity',
      transactionCode: 'AUTH_LOGIN',
      actor: { type: 'USER', id: user.id, display: user.username },
      metadata: { username: user.username },
    });
    return this.jwt.signAsync({ sub: user.id, ver: user.credentialsVersion } satisfies TokenClaims);
  }

  private async recordFailure(user: User | null, pseudonym: string, reason: FailureReason): Promise<void> {
    await this.audit.record({
      action: 'LOGIN_FAILURE',
      entityType: 'User',
      entityId: user?.id ?? `username-hmac:${pseudonym}`,
      tenantId: user?.tenantId ?? null,
      module: 'identity',
      transactionCode: 'AUTH_LOGIN',
      metadata: user ? { username: user.username, reason } : { reason },
    });
  }
}

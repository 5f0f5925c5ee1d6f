import { HttpException, HttpStatus } from '@nestjs/common';
import Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { LoginThrottleConfig } from '../config/app-config';

/**
 * A login refused before its password was checked: too many recent failures. GraphQL answers it
 * with code TOO_MANY_REQUESTS (HTTP 429 in the request audit) and `originalError.retryAfterSeconds`.
 */
export class LoginThrottledException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    const message = `Too many failed logins: retry in ${retryAfterSeconds} s`;
    super(
      { statusCode: HttpStatus.TOO_MANY_REQUESTS, message, retryAfterSeconds },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

/** One attempt's hold on the counters: settle it with the outcome of the password check. */
export interface LoginAttempt {
  succeeded(): Promise<void>;
}

/**
 * OWASP's two counters, in Redis (shared by every app process): consecutive failures per
 * (username, IP), and failures per IP whatever the username. An attempt takes its point BEFORE the
 * password is checked, so parallel guesses are counted as they arrive; a success forgets the
 * (username, IP) failures and gives its IP point back. When Redis cannot answer, an in-memory
 * limiter of the same limits takes over in each process (rate-limiter-flexible's insurance).
 */
export class LoginThrottle {
  private readonly redis: Redis;
  private readonly perUserIp: RateLimiterRedis;
  private readonly perIp: RateLimiterRedis;

  constructor(redisUrl: string, keyPrefix: string, limits: LoginThrottleConfig) {
    // NOTE: a command waits for one reconnection at most, then fails over to the insurance limiter.
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    // Unhandled 'error' events would crash the process; a failed command already falls back.
    this.redis.on('error', () => undefined);
    const limiter = (name: string, points: number, duration: number) =>
      new RateLimiterRedis({
        storeClient: this.redis,
        keyPrefix: `${keyPrefix}:${name}`,
        points,
        duration,
        blockDuration: duration,
        insuranceLimiter: new RateLimiterMemory({ points, duration, blockDuration: duration }),
      });
    this.perUserIp = limiter('user-ip', limits.perUserIpFailures, limits.perUserIpWindowSeconds);
    this.perIp = limiter('ip', limits.perIpFailures, limits.perIpWindowSeconds);
  }

  /**
   * Counts an attempt of `userKey` (never the username itself: it may be a mistyped password)
   * from `ip`. @throws LoginThrottledException when either counter is over its limit.
   */
  async attempt(userKey: string, ip: string): Promise<LoginAttempt> {
    const pair = `${userKey}:${ip}`;
    // NOTE: one after the other: an attempt the (username, IP) counter refuses never reaches a
    // password check, so it does not spend the IP's budget (one hammered username cannot lock out
    // everyone behind the same address).
    await this.consume(this.perUserIp, pair);
    await this.consume(this.perIp, ip);
    return {
      succeeded: async () => {
        await Promise.all([this.perUserIp.delete(pair), this.perIp.reward(ip, 1)]);
      },
    };
  }

  private async consume(limiter: RateLimiterRedis, key: string): Promise<void> {
    try {
      await limiter.consume(key);
    } catch (refusal) {
      // rate-limiter-flexible rejects with a RateLimiterRes when over the limit, an Error otherwise.
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      throw new LoginThrottledException(Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)));
    }
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

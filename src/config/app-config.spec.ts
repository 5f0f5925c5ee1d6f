import { loadAppConfig, MIN_JWT_SECRET_BYTES } from './app-config';

describe('loadAppConfig: the token secret', () => {
  const strong = 'x'.repeat(MIN_JWT_SECRET_BYTES);

  it('refuses to start in production without JWT_SECRET, or with one shorter than 32 bytes, never echoing it', () => {
    expect(() => loadAppConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET must be set/);
    expect(() => loadAppConfig({ NODE_ENV: 'production', JWT_SECRET: 'change-me-in-production' })).toThrow(
      /at least 32 bytes/,
    );
    expect(() => loadAppConfig({ NODE_ENV: 'production', JWT_SECRET: 'short-secret' })).not.toThrow(
      /short-secret/,
    );
    expect(loadAppConfig({ NODE_ENV: 'production', JWT_SECRET: strong }).jwtSecret).toBe(strong);
  });

  it('outside production without JWT_SECRET, uses a random secret of this process (the same on every load)', () => {
    const first = loadAppConfig({}).jwtSecret;
    expect(Buffer.from(first, 'base64')).toHaveLength(MIN_JWT_SECRET_BYTES);
    expect(first).not.toMatch(/development|change-me/);
    expect(loadAppConfig({ NODE_ENV: 'development' }).jwtSecret).toBe(first);
    expect(loadAppConfig({ JWT_SECRET: 'dev' }).jwtSecret).toBe('dev');
  });
});

describe('loadAppConfig: login throttling', () => {
  it('defaults to 5 failures per username and IP in 15 min, 100 per IP in a day', () => {
    expect(loadAppConfig({ JWT_SECRET: 's' }).loginThrottle).toEqual({
      perUserIpFailures: 5,
      perUserIpWindowSeconds: 900,
      perIpFailures: 100,
      perIpWindowSeconds: 86400,
    });
  });

  it('reads the limits from the environment, refusing anything but a positive integer', () => {
    const env = { JWT_SECRET: 's', LOGIN_MAX_FAILURES_PER_USER_IP: '3', LOGIN_IP_WINDOW_SECONDS: '60' };
    expect(loadAppConfig(env).loginThrottle).toMatchObject({ perUserIpFailures: 3, perIpWindowSeconds: 60 });
    expect(() => loadAppConfig({ JWT_SECRET: 's', LOGIN_MAX_FAILURES_PER_IP: '0' })).toThrow(
      /LOGIN_MAX_FAILURES_PER_IP must be a positive integer/,
    );
  });
});

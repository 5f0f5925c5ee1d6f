import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { clearQueuePrefix, TEST_REDIS_URL, uniqueQueuePrefix } from '../../../test/support/test-redis';
import {
  Auditable,
  AuditableMisconfiguredError,
  InvalidAuditOptionsError,
  type AuditModuleOptions,
} from '../src';
import { AuditQueryResolver } from '../src/graphql/audit-query.resolver';
import { startFixtureApp } from './fixtures/fixture-app';
import { FixtureModule } from './fixtures/fixture.module';

@Injectable()
class MisconfiguredService {
  @Auditable({ entity: 'NoSuchEntity', action: 'UPDATE' })
  async change(_id: string): Promise<void> {}
}

describe('bootstrap fails fast on a misconfiguration', () => {
  let db: TestDatabase;
  const prefixes: string[] = [];
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
    for (const prefix of prefixes) await clearQueuePrefix(prefix);
  });

  const boot = async (audit: AuditModuleOptions, providers: (new (...args: never[]) => object)[] = []) => {
    const queuePrefix = uniqueQueuePrefix();
    prefixes.push(queuePrefix);
    const moduleRef = await Test.createTestingModule({
      imports: [
        FixtureModule.forRoot({
          databaseUrl: db.url,
          redisUrl: TEST_REDIS_URL,
          queuePrefix,
          audit,
        }),
      ],
      providers,
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    try {
      await app.init();
    } finally {
      await app.close();
    }
  };

  it('names the method and the unknown entity of an @Auditable', async () => {
    const failure = boot({}, [MisconfiguredService]);
    await expect(failure).rejects.toBeInstanceOf(AuditableMisconfiguredError);
    await expect(failure).rejects.toThrow(/MisconfiguredService\.change.*"NoSuchEntity"/);
  });

  it('rejects invalid forRoot options when the module is defined, before anything connects', async () => {
    const failure = boot({ workerConcurrency: -2 });
    await expect(failure).rejects.toBeInstanceOf(InvalidAuditOptionsError);
    await expect(failure).rejects.toThrow(/workerConcurrency must be a positive integer/);
  });

  it.each([
    ['by default', {}, true],
    ['not with graphql: false', { graphql: false }, false],
  ] as const)('registers the audit GraphQL API %s', async (_when, options, present) => {
    const f = await startFixtureApp(options);
    try {
      const resolver = (() => {
        try {
          return f.app.get(AuditQueryResolver);
        } catch {
          return null;
        }
      })();
      expect(resolver !== null).toBe(present);
    } finally {
      await f.close();
    }
  });
});

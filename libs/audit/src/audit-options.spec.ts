import { auditOptionsFromEnv } from './audit-env';
import { DEFAULT_MASKED_FIELD_PATTERN, resolveAuditOptions } from './audit-options';
import { DirectoryKeyProvider } from './keys/directory.key-provider';
import { EnvKeyProvider } from './keys/env.key-provider';
import { DirectoryWitness } from './witness/directory.witness';
import { InvalidAuditOptionsError } from './errors/invalid-audit-options.error';

describe('resolveAuditOptions', () => {
  it('applies the documented defaults', () => {
    const options = resolveAuditOptions({});
    expect(options).toMatchObject({
      maskedFieldPattern: DEFAULT_MASKED_FIELD_PATTERN,
      maskedFields: [],
      trustProxy: false,
      requestIdHeader: 'x-request-id',
      systemActor: { id: 'system', display: 'system' },
      tenantField: 'tenantId',
      inProcessWorker: true,
      workerConcurrency: 1,
      recordFailures: false,
      relay: { intervalMs: 5000, graceMs: 10000, batchSize: 500 },
      jobAttempts: 10,
      jobBackoffMs: 500,
    });
  });

  it('never reads the environment: AUDIT_* variables mean nothing to it', () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AUDIT_INPROCESS_WORKER: 'false',
      AUDIT_LOG_ORIGIN: 'from-env/log',
      AUDIT_JOB_LOCK_MS: '1234',
    });
    try {
      expect(resolveAuditOptions({})).toMatchObject({
        inProcessWorker: true,
        logOrigin: 'audit-ledger/log',
        jobLockMs: 30000,
        workingDirectoryDefaults: ['keyProvider (.audit/keys)', 'witness (.audit/witness)'],
      });
    } finally {
      process.env = saved;
    }
  });

  it('reports every problem at once, with a typed error', () => {
    let error: unknown;
    try {
      resolveAuditOptions({
        workerConcurrency: 0,
        relay: { intervalMs: -1 },
        actorResolver: 'nope' as never,
        maskedFieldPattern: 'password' as never,
        systemActor: { id: '' },
        trustProxy: {} as never,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidAuditOptionsError);
    const { problems, code } = error as InvalidAuditOptionsError;
    expect(code).toBe('AUDIT_INVALID_OPTIONS');
    expect(problems).toEqual([
      'actorResolver must be a function',
      'maskedFieldPattern must be a RegExp',
      'systemActor.id must be set',
      'trustProxy must be a boolean, a hop count, an address or a list of addresses',
      'relay.intervalMs must be a positive integer (got -1)',
      'workerConcurrency must be a positive integer (got 0)',
    ]);
  });

  it('resolves the actor, tenant and session from a JWT-style principal by default', () => {
    const options = resolveAuditOptions({});
    const req = { headers: {}, user: { sub: 42, username: 'ann', tenantId: 't1', sid: 's9' } };
    expect(options.actorResolver(req)).toEqual({ type: 'USER', id: '42', display: 'ann' });
    expect(options.tenantResolver(req)).toBe('t1');
    expect(options.sessionIdResolver(req)).toBe('s9');
    expect(options.actorResolver({ headers: {} })).toBeNull();
    expect(options.actorResolver({ headers: {}, user: { id: 'k1', type: 'API_KEY' } })).toEqual({
      type: 'API_KEY',
      id: 'k1',
      display: null,
    });
  });

  it('validates personalData and the subject key-encryption key, never quoting the key', () => {
    const key = Buffer.alloc(32, 1).toString('base64');
    const ok = resolveAuditOptions({
      personalData: { User: { fields: ['email'] }, Order: { fields: ['shipTo'], subjectField: 'userId' } },
      subjectKeyEncryptionKey: key,
    });
    expect(ok.personalData.get('User')).toEqual({ fields: ['email'], subjectField: null });
    expect(ok.subjectKek).toEqual({ key: Buffer.alloc(32, 1) });
    expect(resolveAuditOptions({}).subjectKek).toEqual({ file: expect.stringMatching(/subject-kek$/) });
    let error: unknown;
    try {
      resolveAuditOptions({
        personalData: {
          A: { fields: [] },
          B: { fields: ['profile.email', 'tenantId'] },
          C: { fields: ['userId'], subjectField: 'userId' },
        },
        subjectKeyEncryptionKey: 'c2hvcnQ=',
      });
    } catch (e) {
      error = e;
    }
    expect((error as InvalidAuditOptionsError).problems).toEqual([
      'personalData.A.fields must be a non-empty list of field names',
      'personalData.B.fields must be top-level field names (no ".")',
      'personalData.B.fields cannot hold the tenant field "tenantId" (it is stored in clear)',
      'personalData.C.subjectField cannot be one of its personal fields (subject ids are stored in clear)',
      'subjectKeyEncryptionKey must be the base64 form of 32 bytes',
    ]);
  });

  it('leaves forwarding off by default and validates sinks: named, unique, with send', () => {
    expect(resolveAuditOptions({}).forwarding).toEqual({
      sinks: [],
      batchSize: 500,
      intervalMs: 1000,
      startAt: 'beginning',
      retry: { minDelayMs: 1000, maxDelayMs: 60000 },
    });
    const sink = (name: string) => ({ name, send: async () => undefined });
    expect(
      resolveAuditOptions({ forwarding: { sinks: [sink('a'), sink('b')] } }).forwarding.sinks,
    ).toHaveLength(2);
    const problems = (forwarding: unknown) => {
      try {
        resolveAuditOptions({ forwarding } as never);
      } catch (error) {
        return (error as InvalidAuditOptionsError).problems;
      }
      return [];
    };
    expect(problems({ sinks: [sink('a'), sink('a')] })).toEqual([
      'forwarding.sinks[1].name "a" is used twice: each sink needs a cursor of its own',
    ]);
    expect(problems({ sinks: [sink(''), sink('has space'), { name: 'x' }] })).toEqual([
      'forwarding.sinks[0].name must be 1-200 characters with no white space',
      'forwarding.sinks[1].name must be 1-200 characters with no white space',
      'forwarding.sinks[2].send must be a function',
    ]);
    expect(
      problems({ sinks: [], startAt: 'later', batchSize: 0, retry: { minDelayMs: 5, maxDelayMs: 2 } }),
    ).toEqual([
      "forwarding.startAt must be 'beginning' or 'now' (got later)",
      'forwarding.retry.minDelayMs must not exceed forwarding.retry.maxDelayMs',
      'forwarding.batchSize must be a positive integer (got 0)',
    ]);
  });

  it('leaves request-level audit off by default; seal true or a predicate, else nothing sealed', () => {
    const request = {
      method: 'GET',
      path: '/x',
      statusCode: 200,
      durationMs: 1,
      outcome: 'success' as const,
    };
    const off = resolveAuditOptions({}).requestAudit;
    expect(off).toMatchObject({ enabled: false, seal: null });
    expect(off.filter({ headers: {} }, request)).toBe(true);
    expect(
      resolveAuditOptions({ requestAudit: { enabled: true, seal: false } }).requestAudit.seal,
    ).toBeNull();
    const all = resolveAuditOptions({ requestAudit: { enabled: true, seal: true } }).requestAudit;
    expect(all.seal?.({ headers: {} }, request)).toBe(true);
    const some = (_req: unknown, r: { path: string }) => r.path !== '/health';
    expect(resolveAuditOptions({ requestAudit: { seal: some } }).requestAudit.seal).toBe(some);
    expect(() =>
      resolveAuditOptions({
        requestAudit: { enabled: 'yes' as never, filter: 1 as never, seal: 'x' as never },
      }),
    ).toThrow(
      expect.objectContaining({
        problems: [
          'requestAudit.enabled must be a boolean',
          'requestAudit.filter must be a function',
          'requestAudit.seal must be a boolean or a function',
        ],
      }),
    );
  });

  it('bounds sealed strings at 8192 bytes by default, and at no fewer than 512', () => {
    expect(resolveAuditOptions({}).maxSealedStringBytes).toBe(8192);
    expect(resolveAuditOptions({ maxSealedStringBytes: 512 }).maxSealedStringBytes).toBe(512);
    for (const bad of [511, 0, 1.5, Number.NaN]) {
      expect(() => resolveAuditOptions({ maxSealedStringBytes: bad })).toThrow(
        expect.objectContaining({
          problems: [`maxSealedStringBytes must be an integer of at least 512 (got ${bad})`],
        }),
      );
    }
  });
});

describe('auditOptionsFromEnv', () => {
  it('maps each AUDIT_* variable to its option, and leaves unset ones out', () => {
    const options = auditOptionsFromEnv({
      AUDIT_KEY_DIR: '/srv/keys',
      AUDIT_WITNESS_DIR: '/mnt/witness',
      AUDIT_INPROCESS_WORKER: 'false',
      AUDIT_LOG_ORIGIN: 'shop/log',
      AUDIT_JOB_LOCK_MS: '2000',
      AUDIT_WORKER_CONCURRENCY: '3',
    });
    expect(options.keyProvider).toBeInstanceOf(DirectoryKeyProvider);
    expect(options.witness).toBeInstanceOf(DirectoryWitness);
    expect(options).toMatchObject({
      subjectKeyEncryptionKeyFile: '/srv/keys/subject-kek',
      inProcessWorker: false,
      logOrigin: 'shop/log',
      jobLockMs: 2000,
      workerConcurrency: 3,
    });
    expect(Object.keys(auditOptionsFromEnv({}))).toEqual([]);
    expect(auditOptionsFromEnv({ AUDIT_SIGNING_KEY: 'x', AUDIT_KEY_DIR: '/k' }).keyProvider).toBeInstanceOf(
      EnvKeyProvider,
    );
    expect(
      resolveAuditOptions(auditOptionsFromEnv({ AUDIT_KEY_DIR: '/k', AUDIT_WITNESS_DIR: '/w' })),
    ).toMatchObject({
      workingDirectoryDefaults: [],
      subjectKek: { file: '/k/subject-kek' },
    });
  });

  it('refuses production without the keys and the witness named, saying which', () => {
    expect(() => auditOptionsFromEnv({ NODE_ENV: 'production' })).toThrow(
      /AUDIT_SIGNING_KEY or AUDIT_KEY_DIR \(the keyProvider option\)[\s\S]*AUDIT_WITNESS_DIR \(the witness option\)/,
    );
    expect(() =>
      auditOptionsFromEnv({ NODE_ENV: 'production', AUDIT_SIGNING_KEY: 'k', AUDIT_WITNESS_DIR: '/w' }),
    ).not.toThrow();
  });
});

import { DEFAULT_MASKED_FIELD_PATTERN, resolveAuditOptions } from './audit-options';
import { InvalidAuditOptionsError } from './errors/invalid-audit-options.error';

describe('resolveAuditOptions', () => {
  const env = process.env.AUDIT_INPROCESS_WORKER;
  afterEach(() => {
    if (env === undefined) delete process.env.AUDIT_INPROCESS_WORKER;
    else process.env.AUDIT_INPROCESS_WORKER = env;
  });

  it('applies the documented defaults', () => {
    delete process.env.AUDIT_INPROCESS_WORKER;
    const options = resolveAuditOptions({});
    expect(options).toMatchObject({
      maskedFieldPattern: DEFAULT_MASKED_FIELD_PATTERN,
      maskedFields: [],
      trustProxy: false,
      requestIdHeader: 'x-request-id',
      systemActor: { id: 'system', display: 'system' },
      tenantField: 'tenantId',
      inProcessWorker: true,
      workerConcurrency: 4,
      recordFailures: false,
      relay: { intervalMs: 5000, graceMs: 10000, batchSize: 500 },
      jobAttempts: 10,
      jobBackoffMs: 500,
    });
  });

  it('turns the in-process worker off with AUDIT_INPROCESS_WORKER=false, unless set explicitly', () => {
    process.env.AUDIT_INPROCESS_WORKER = 'false';
    expect(resolveAuditOptions({}).inProcessWorker).toBe(false);
    expect(resolveAuditOptions({ inProcessWorker: true }).inProcessWorker).toBe(true);
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
});

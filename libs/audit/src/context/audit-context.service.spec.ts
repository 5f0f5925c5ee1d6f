import { ClsServiceManager } from 'nestjs-cls';
import { resolveAuditOptions } from '../audit-options';
import { AuditContextService } from './audit-context.service';

describe('AuditContextService', () => {
  const cls = ClsServiceManager.getClsService();
  const context = new AuditContextService(cls, resolveAuditOptions({ systemActor: { id: 'svc-billing' } }));
  const source = { ip: '10.0.0.1', userAgent: 'ua', requestId: 'r-1' };

  it('is SYSTEM outside any request', () => {
    expect(context.snapshot()).toEqual({
      actor: { type: 'SYSTEM', id: 'svc-billing', display: 'svc-billing' },
      tenantId: null,
      source: { ip: null, userAgent: null, requestId: null, sessionId: null },
    });
  });

  it('resolves the principal lazily: a guard may authenticate after the middleware ran', () => {
    cls.run(() => {
      const req: { headers: object; user?: object } = { headers: {} };
      context.bindRequest(req as never, source);
      req.user = { sub: 'u1', username: 'ann', tenantId: 't1' };
      expect(context.snapshot()).toEqual({
        actor: { type: 'USER', id: 'u1', display: 'ann' },
        tenantId: 't1',
        source: { ...source, sessionId: null },
      });
    });
  });

  it('runs work with a propagated snapshot, overriding the ambient context', () => {
    const captured = cls.run(() => {
      context.bindRequest({ headers: {}, user: { sub: 'u2' } }, source);
      return context.snapshot();
    });
    const inJob = context.run(captured, () => context.snapshot());
    expect(inJob).toEqual(captured);
    expect(context.run(undefined, () => context.snapshot()).actor.type).toBe('SYSTEM');
  });
});

import { resolveAuditOptions } from '../audit-options';
import type { AuditRequest } from '../audit-options.interface';
import { auditReadEvent, decideAuditRead } from './audit-read-access';

const reader = (user: Record<string, unknown>): AuditRequest => ({ headers: {}, user });
const scope = { query: 'auditTrail' };

describe('decideAuditRead (default resolvers)', () => {
  const options = resolveAuditOptions({});

  it('binds a reader to its tenant; an explicit null tenant reads every tenant', () => {
    expect(decideAuditRead(options, reader({ sub: 'c', role: 'auditor', tenantId: 'acme' }), scope)).toEqual({
      actor: { type: 'USER', id: 'c', display: null },
      tenantId: 'acme',
      denied: null,
    });
    expect(
      decideAuditRead(options, reader({ sub: 'g', role: 'auditor', tenantId: null }), scope),
    ).toMatchObject({
      tenantId: null,
      denied: null,
    });
  });

  it('fails closed on a principal without a tenant claim (or a non-scalar one): never global', () => {
    for (const user of [
      { sub: 'x', role: 'auditor' },
      { sub: 'x', role: 'auditor', tenantId: undefined },
      { sub: 'x', role: 'auditor', tenantId: { $ne: 'acme' } },
    ]) {
      const decision = decideAuditRead(options, reader(user), scope);
      expect(decision).toMatchObject({ tenantId: null, denied: expect.stringMatching(/names no tenant/) });
      expect(auditReadEvent(decision, { query: 'auditTrail' })).toMatchObject({
        action: 'PERMISSION_DENIED',
        entityType: 'audit.query',
        entityId: 'x',
        metadata: { query: 'auditTrail', reason: decision.denied },
      });
    }
  });

  it('refuses the anonymous, readers without the permission, and tenant readers of a global-only query', () => {
    expect(decideAuditRead(options, { headers: {} }, scope).denied).toMatch(/authenticated principal/);
    expect(
      decideAuditRead(options, reader({ sub: 'b', role: 'user', tenantId: 'acme' }), scope).denied,
    ).toMatch(/audit:read/);
    const tenantAuditor = reader({ sub: 'c', role: 'auditor', tenantId: 'acme' });
    expect(
      decideAuditRead(options, tenantAuditor, { query: 'verifyAuditLog', globalOnly: true }).denied,
    ).toMatch(/spans every tenant/);
  });
});

describe('decideAuditRead (a custom tenantResolver)', () => {
  it('refuses a resolver answering undefined, and reads null as global', () => {
    const req = reader({ sub: 'k', role: 'auditor' });
    const unknown = resolveAuditOptions({ tenantResolver: () => undefined });
    expect(decideAuditRead(unknown, req, scope).denied).toMatch(/names no tenant/);
    const global = resolveAuditOptions({ tenantResolver: () => null });
    expect(decideAuditRead(global, req, scope)).toMatchObject({ tenantId: null, denied: null });
    expect(auditReadEvent(decideAuditRead(global, req, scope), { query: 'q' })).toMatchObject({
      action: 'AUDIT_QUERY',
      metadata: { query: 'q' },
    });
  });
});

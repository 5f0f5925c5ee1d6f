import { PoisonEventError } from '../errors/poison-event.error';
import type { AuditEvent } from './audit-event';
import { toSealableEvent } from './sealable-event';

const ID = '01890a5d-ac96-774b-bcce-b302099a8057';

function event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: ID,
    occurredAt: '2026-11-22T10:00:00.000Z',
    actor: { type: 'USER', id: 'u1', display: 'alice' },
    action: 'UPDATE',
    entityType: 'Account',
    entityId: '42',
    tenantId: 'acme',
    before: { name: 'a' },
    after: { name: 'b' },
    changes: [{ field: 'name', before: 'a', after: 'b' }],
    patch: [{ op: 'replace', path: '/name', value: 'b' }],
    source: { ip: null, userAgent: null, requestId: 'r1', sessionId: null },
    metadata: {},
    ...overrides,
  };
}

const row = (payload: unknown) => ({ id: ID, entityType: 'Account', entityId: '42', payload });

function problemsOf(payload: unknown): string {
  try {
    toSealableEvent(row(payload));
  } catch (error) {
    expect(error).toBeInstanceOf(PoisonEventError);
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('toSealableEvent', () => {
  it('returns the normalized event of a well-formed payload', () => {
    const sealable = toSealableEvent(row(event({ module: undefined, occurredAt: '2026-11-22T10:00:00Z' })));
    expect(sealable).toMatchObject<Partial<AuditEvent>>({ id: ID, module: null, transactionCode: null });
    expect(sealable.occurredAt).toBe('2026-11-22T10:00:00.000Z');
  });

  it.each([
    ['a payload that is no object', 'not json', 'the payload is not an object'],
    ['an unparsable timestamp', event({ occurredAt: 'yesterday-ish' }), 'occurredAt is not a timestamp'],
    ['a missing actor', event({ actor: undefined }), 'actor.type is not USER, SYSTEM or API_KEY'],
    ['an unknown actor type', event({ actor: { type: 'ROBOT', id: 'x' } }), 'actor.type is not'],
    ['another entity', event({ entityId: '43' }), 'entityId differs from the outbox row'],
    [
      'another event id',
      event({ id: '01890a5d-ac96-774b-bcce-b302099a8058' }),
      'id differs from the outbox row',
    ],
    ['changes that are not field changes', event({ changes: [{ before: 1 }] }), 'changes is not a list'],
    ['metadata that is a list', event({ metadata: [] }), 'metadata is not an object'],
  ])('rejects %s, naming the member', (_, payload, problem) => {
    expect(problemsOf(payload)).toContain(problem);
  });

  it('lists every problem at once and never quotes a value', () => {
    const message = problemsOf(event({ occurredAt: 'secret-ish-value', action: '', tenantId: 7 }));
    expect(message).toContain('occurredAt is not a timestamp');
    expect(message).toContain('action is missing');
    expect(message).toContain('tenantId is not text');
    expect(message).not.toContain('secret-ish-value');
    expect(message).toContain(ID);
  });
});

import { createHash } from 'node:crypto';
import type { AuditEvent } from '../events/audit-event';
import { canonicalJson, canonicalJsonText } from './canonical-json';
import { eventHash, GENESIS_HASH, hashedEventFields, hashedFieldsText } from './event-hash';

// The worked example of docs/integrity.md §2: the canonical text is written out by hand, as an
// independent verifier would produce it from the specification.
const EVENT: AuditEvent = {
  id: '01936b2e-0000-7000-8000-000000000001',
  occurredAt: '2026-11-22T10:00:00.000Z',
  actor: { type: 'USER', id: 'u1', display: 'alice' },
  action: 'UPDATE',
  entityType: 'User',
  entityId: 'u2',
  tenantId: 'acme',
  module: 'identity',
  transactionCode: 'USER_UPDATE',
  before: { role: 'user' },
  after: { role: 'admin' },
  changes: [{ field: 'role', before: 'user', after: 'admin' }],
  patch: [{ op: 'replace', path: '/role', value: 'admin' }],
  source: { ip: '127.0.0.1', userAgent: 'ua', requestId: 'r1', sessionId: null },
  metadata: {},
};
const CANONICAL =
  '{"action":"UPDATE","actor":{"display":"alice","id":"u1","type":"USER"},"after":{"role":"admin"},' +
  '"before":{"role":"user"},"chainSeq":1,"changes":[{"after":"admin","before":"user","field":"role"}],' +
  '"entityId":"u2","entityType":"User","id":"01936b2e-0000-7000-8000-000000000001","metadata":{},' +
  '"module":"identity","occurredAt":"2026-11-22T10:00:00.000Z",' +
  '"patch":[{"op":"replace","path":"/role","value":"admin"}],' +
  '"prevHash":"0000000000000000000000000000000000000000000000000000000000000000",' +
  '"source":{"ip":"127.0.0.1","requestId":"r1","sessionId":null,"userAgent":"ua"},' +
  '"tenantId":"acme","transactionCode":"USER_UPDATE"}';

describe('eventHash (audit/v1)', () => {
  it('is SHA-256 over "audit/v1\\0" and the canonical hashed fields, as docs/integrity.md specifies', () => {
    const expected = createHash('sha256').update('audit/v1\0').update(CANONICAL).digest();
    expect(eventHash(EVENT, 1, GENESIS_HASH).equals(expected)).toBe(true);
  });

  it('binds the position, the link and every recorded field', () => {
    const base = eventHash(EVENT, 1, GENESIS_HASH);
    expect(eventHash(EVENT, 2, GENESIS_HASH).equals(base)).toBe(false);
    expect(eventHash(EVENT, 1, Buffer.alloc(32, 1)).equals(base)).toBe(false);
    expect(eventHash({ ...EVENT, entityId: 'u3' }, 1, GENESIS_HASH).equals(base)).toBe(false);
    expect(
      eventHash({ ...EVENT, source: { ...EVENT.source, ip: '10.0.0.1' } }, 1, GENESIS_HASH).equals(base),
    ).toBe(false);
  });

  it('ignores key order and fields outside the hashed list', () => {
    const reordered = JSON.parse(canonicalJson({ ...EVENT, extra: 'not hashed' }).toString()) as AuditEvent;
    expect(eventHash(reordered, 1, GENESIS_HASH).equals(eventHash(EVENT, 1, GENESIS_HASH))).toBe(true);
  });
});

describe('hashedFieldsText', () => {
  const odd = 'quote " backslash \\ tab \t nul \u0000 del \u007f lone \ud800 pair \u{1d11e} \u2028 é';
  const variants: [string, AuditEvent][] = [
    ['the worked example', EVENT],
    [
      'escapes, lone surrogates and code-unit key order everywhere',
      {
        ...EVENT,
        id: odd,
        actor: { type: 'USER', id: odd, display: odd },
        entityId: odd,
        before: { '\ufb33': [1, -0, 1e21, 0.1, 5e-324, null, true], '\u{1d11e}': { b: odd, a: {} } },
        after: { [odd]: odd, '': false },
        changes: [{ field: odd, before: { z: 1, y: [odd] }, after: 2.5 }],
        patch: [{ op: 'add', path: `/${odd}`, value: { b: 1, a: 2 } }],
        source: { ip: null, userAgent: odd, requestId: null, sessionId: odd },
        metadata: { nested: { deeper: [{ k: odd }] } },
      },
    ],
    [
      'absent members, normalised to null',
      {
        ...EVENT,
        actor: { type: 'SYSTEM', id: 'system' } as AuditEvent['actor'],
        tenantId: undefined as unknown as null,
        changes: [{ field: 'f' } as AuditEvent['changes'][number]],
        source: {} as AuditEvent['source'],
      },
    ],
    [
      'a member of another type than the shape (the generic path)',
      {
        ...EVENT,
        entityId: 42 as unknown as string,
        actor: { ...EVENT.actor, id: { x: 1 } as unknown as string },
      },
    ],
  ];

  it.each(variants)('writes exactly the generic canonical text: %s', (_name, event) => {
    const fields = hashedEventFields(event, 7, Buffer.alloc(32, 0xab));
    expect(hashedFieldsText(fields)).toBe(canonicalJsonText(fields));
  });
});

import fc from 'fast-check';
import { createHash } from 'node:crypto';
import type { AuditEvent } from '../events/audit-event';
import { configure } from 'safe-stable-stringify';
import { canonicalJson } from './canonical-json';
import {
  EVENT_HASH_ALG,
  EVENT_HASH_ALG_V1,
  eventHash,
  eventHashHex,
  GENESIS_HASH,
  hashedEventFields,
  hashedEventText,
  hasUnhashedV1Members,
} from './event-hash';

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
    expect(eventHash(EVENT, 1, GENESIS_HASH, EVENT_HASH_ALG_V1).equals(expected)).toBe(true);
  });

  it('leaves out the members audit/v1.1 added, which a v1 event must not hold', () => {
    const v1 = eventHash(EVENT, 1, GENESIS_HASH, EVENT_HASH_ALG_V1);
    expect(eventHash({ ...EVENT, origin: 'APP' }, 1, GENESIS_HASH, EVENT_HASH_ALG_V1).equals(v1)).toBe(true);
    expect(hasUnhashedV1Members({ ...EVENT, origin: 'APP' })).toBe(true);
    expect(hasUnhashedV1Members({ ...EVENT, operationId: null, origin: null, database: null })).toBe(false);
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

// audit/v1.1: the same event with the members the database stamps, written out by hand too.
const V11_EVENT: AuditEvent = {
  ...EVENT,
  operationId: '01936b2e-0000-7000-8000-0000000000aa',
  origin: 'APP',
  database: { transactionId: '7781', role: 'app', time: '2026-11-22T10:00:00.004Z' },
};
const V11_CANONICAL =
  '{"action":"UPDATE","actor":{"display":"alice","id":"u1","type":"USER"},"after":{"role":"admin"},' +
  '"before":{"role":"user"},"chainSeq":1,"changes":[{"after":"admin","before":"user","field":"role"}],' +
  '"database":{"role":"app","time":"2026-11-22T10:00:00.004Z","transactionId":"7781"},' +
  '"entityId":"u2","entityType":"User","id":"01936b2e-0000-7000-8000-000000000001","metadata":{},' +
  '"module":"identity","occurredAt":"2026-11-22T10:00:00.000Z",' +
  '"operationId":"01936b2e-0000-7000-8000-0000000000aa","origin":"APP",' +
  '"patch":[{"op":"replace","path":"/role","value":"admin"}],' +
  '"prevHash":"0000000000000000000000000000000000000000000000000000000000000000",' +
  '"source":{"ip":"127.0.0.1","requestId":"r1","sessionId":null,"userAgent":"ua"},' +
  '"tenantId":"acme","transactionCode":"USER_UPDATE"}';

describe('eventHash (audit/v1.1)', () => {
  it('is SHA-256 over "audit/v1.1\\0" and the canonical fields with operation, origin and database facts', () => {
    const expected = createHash('sha256').update('audit/v1.1\0').update(V11_CANONICAL).digest();
    expect(EVENT_HASH_ALG).toBe('audit/v1.1');
    expect(eventHash(V11_EVENT, 1, GENESIS_HASH).equals(expected)).toBe(true);
  });

  it('binds each stamped fact', () => {
    const base = eventHash(V11_EVENT, 1, GENESIS_HASH);
    const facts = V11_EVENT.database!;
    for (const changed of [
      { ...V11_EVENT, origin: 'ASSERTED' as const },
      { ...V11_EVENT, operationId: null },
      { ...V11_EVENT, database: { ...facts, transactionId: '7782' } },
      { ...V11_EVENT, database: { ...facts, role: 'postgres' } },
      { ...V11_EVENT, database: null },
    ]) {
      expect(eventHash(changed, 1, GENESIS_HASH).equals(base)).toBe(false);
    }
    expect(eventHash(V11_EVENT, 1, GENESIS_HASH, EVENT_HASH_ALG_V1).equals(base)).toBe(false);
  });
});

describe('hashedEventText', () => {
  // The reference: a serialiser that sorts every object itself (no fast path of ours in it).
  const sortingJcs = configure({ deterministic: true, strict: true });
  const canonicalJsonText = (value: unknown) => sortingJcs(value);
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
    [
      'a time in another form than ISO UTC (the generic path)',
      { ...EVENT, occurredAt: '2026-11-22T11:00:00+01:00' },
    ],
    [
      'v1.1 members of another type (the generic path)',
      {
        ...EVENT,
        operationId: 7 as unknown as string,
        database: { transactionId: 8812 as unknown as string, role: 'app', time: '2026-11-22T10:00:00.004Z' },
      },
    ],
    [
      'v1.1 members holding objects out of order (the generic path sorts them)',
      {
        ...EVENT,
        origin: { z: 1, a: 2 } as unknown as AuditEvent['origin'],
        database: {
          transactionId: { y: 1, b: 2 } as unknown as string,
          role: 'app',
          time: '2026-11-22T10:00:00.004Z',
        },
      },
    ],
    [
      'a change that is no object (the generic path)',
      { ...EVENT, changes: ['role' as unknown as AuditEvent['changes'][number]] },
    ],
  ];

  it('throws where the generic path throws: no actor, a time that is none', () => {
    for (const event of [
      { ...EVENT, actor: null as unknown as AuditEvent['actor'] },
      { ...EVENT, occurredAt: 'yesterday' },
    ]) {
      expect(() => hashedEventFields(event, 1, GENESIS_HASH)).toThrow();
      expect(() => hashedEventText(event, 1, GENESIS_HASH)).toThrow();
    }
  });

  it('hashes the time a Date round trip gives, whatever form it is stored in', () => {
    const times = [
      '2026-11-22T10:00:00.000Z',
      '2026-04-30T23:59:59.999Z',
      '2026-04-31T00:00:00.000Z',
      '2026-02-29T12:00:00.000Z',
      '2024-02-29T12:00:00.000Z',
      '2026-12-31T24:00:00.000Z',
      '2026-11-22T10:00:00Z',
      '2026-11-22T11:00:00.000+01:00',
      '0000-01-01T00:00:00.000Z',
    ];
    for (const occurredAt of times) {
      const fields = hashedEventFields({ ...EVENT, occurredAt }, 1, GENESIS_HASH);
      expect(fields.occurredAt).toBe(new Date(occurredAt).toISOString());
    }
  });

  it.each(variants)('writes exactly the generic canonical text: %s', (_name, event) => {
    const prev = Buffer.alloc(32, 0xab);
    for (const alg of [EVENT_HASH_ALG_V1, EVENT_HASH_ALG]) {
      expect(hashedEventText(event, 7, prev, alg)).toBe(
        canonicalJsonText(hashedEventFields(event, 7, prev, alg)),
      );
      // The previous hash as the hex text a reader holds: the same text, the same hash.
      expect(hashedEventText(event, 7, prev.toString('hex'), alg)).toBe(hashedEventText(event, 7, prev, alg));
      expect(eventHashHex(event, 7, prev.toString('hex'), alg)).toBe(
        eventHash(event, 7, prev, alg).toString('hex'),
      );
    }
    const stamped = {
      ...event,
      operationId: event.id,
      origin: 'DATABASE' as const,
      database: V11_EVENT.database,
    };
    expect(hashedEventText(stamped, 7, prev)).toBe(canonicalJsonText(hashedEventFields(stamped, 7, prev)));
  });

  it('quotes any string exactly as the sorting serialiser does (fast-check, 300 runs, seed 1203)', () => {
    // Every UTF-16 code unit, lone surrogates and controls included.
    const text = fc.string({ unit: 'binary', maxLength: 40 });
    fc.assert(
      fc.property(text, text, text, (id, display, field) => {
        const event = {
          ...EVENT,
          id,
          actor: { ...EVENT.actor, display },
          changes: [{ field, before: id, after: null }],
        };
        expect(hashedEventText(event, 3, GENESIS_HASH)).toBe(
          canonicalJsonText(hashedEventFields(event, 3, GENESIS_HASH)),
        );
      }),
      { numRuns: 300, seed: 1203 },
    );
  });

  it('writes any JSON in the snapshots, metadata, patch and changes as the sorting serialiser does (fast-check, 300 runs, seed 1206)', () => {
    // Members in any order (as jsonb returns them) and already sorted (as a reader's copy holds
    // them), digit-first names, nesting: the text never depends on which path wrote it.
    const json = fc.jsonValue({ maxDepth: 3 });
    fc.assert(
      fc.property(
        fc.record({
          before: json,
          after: json,
          metadata: json,
          patch: json,
          changes: fc.array(fc.record({ field: fc.string(), before: json, after: json }), { maxLength: 3 }),
        }),
        fc.boolean(),
        (members, v11) => {
          const event = { ...V11_EVENT, ...members } as unknown as AuditEvent;
          const alg = v11 ? EVENT_HASH_ALG : EVENT_HASH_ALG_V1;
          expect(hashedEventText(event, 3, GENESIS_HASH, alg)).toBe(
            canonicalJsonText(hashedEventFields(event, 3, GENESIS_HASH, alg)),
          );
        },
      ),
      { numRuns: 300, seed: 1206 },
    );
  });
});

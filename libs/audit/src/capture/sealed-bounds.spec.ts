import { createHash } from 'node:crypto';
import {
  boundEvent,
  boundJson,
  boundText,
  sealableJson,
  fitText,
  IDENTIFIER_BYTES,
  TRUNCATION_MARKER,
} from './sealed-bounds';
import { PERSONAL_DATA_ALG } from '../crypto/personal-data-envelope';
import type { AuditEvent } from '../events/audit-event';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const MARKER = /\u2026\[truncated (\d+) bytes, sha256:([0-9a-f]{64})\]$/;

describe('boundText', () => {
  it('keeps a short, clean string as it is', () => {
    expect(boundText('alice', 64)).toBe('alice');
    expect(boundText('', 64)).toBe('');
  });

  it('cuts a 90 KB string to the bound, naming the original length and SHA-256', () => {
    const long = 'u'.repeat(92_160);
    const out = boundText(long, 4096);
    expect(bytes(out)).toBeLessThanOrEqual(4096);
    expect(out.startsWith('u'.repeat(3900))).toBe(true);
    const [, length, hash] = MARKER.exec(out)!;
    expect(Number(length)).toBe(92_160);
    expect(hash).toBe(sha(long));
  });

  it('cuts multi-byte characters and surrogate pairs only on a whole character', () => {
    for (const char of ['é', '€', '😀']) {
      const long = char.repeat(2000);
      for (const max of [512, 513, 514, 515]) {
        const out = boundText(long, max);
        expect(bytes(out)).toBeLessThanOrEqual(max);
        const prefix = out.slice(0, out.indexOf(TRUNCATION_MARKER));
        expect([...prefix].every((c) => c === char)).toBe(true);
        expect(Buffer.from(out, 'utf8').toString('utf8')).toBe(out);
      }
    }
  });

  it('replaces NUL and lone surrogates (which PostgreSQL refuses) by U+FFFD, keeping pairs', () => {
    expect(boundText('a\u0000b', 64)).toBe('a\uFFFDb');
    expect(boundText('x\uD800y\uDC00z', 64)).toBe('x\uFFFDy\uFFFDz');
    expect(boundText('end\uD83D', 64)).toBe('end\uFFFD');
    expect(boundText('ok \uD83D\uDE00', 64)).toBe('ok \uD83D\uDE00');
  });

  it('neutralises a marker in input, so a sealed marker always means a real truncation', () => {
    const forged = `short${TRUNCATION_MARKER}92160 bytes, sha256:${'0'.repeat(64)}]`;
    const out = boundText(forged, 4096);
    expect(out).not.toContain(TRUNCATION_MARKER);
    expect(out).toBe(forged.replace('\u2026', '\uFFFD'));
    // Also when the forged value is long enough to be cut for real: only the real marker remains.
    const cut = boundText(forged.repeat(100), 4096);
    expect(cut.split(TRUNCATION_MARKER)).toHaveLength(2);
    expect(MARKER.test(cut)).toBe(true);
  });

  it('is deterministic, so equal values stay equal', () => {
    const long = 'v'.repeat(10_000);
    expect(boundText(long, 1024)).toBe(boundText(long, 1024));
    expect(boundText(long, 1024)).not.toBe(boundText(`${long}w`, 1024));
  });
});

describe('fitText', () => {
  it('cuts without sanitising (for strings made of already bounded parts)', () => {
    const bounded = boundText('k'.repeat(2000), IDENTIFIER_BYTES);
    expect(fitText(bounded, IDENTIFIER_BYTES)).toBe(bounded);
    expect(bytes(fitText(`${bounded}.${bounded}`, IDENTIFIER_BYTES))).toBeLessThanOrEqual(IDENTIFIER_BYTES);
  });
});

describe('boundJson', () => {
  it('bounds nested strings and keys, leaving other values alone', () => {
    const key = 'k'.repeat(1000);
    const out = boundJson(
      { a: [{ [key]: 'x'.repeat(10_000), n: 1, b: true, z: null }], 'nul\u0000': 'v\u0000' },
      1024,
    ) as Record<string, unknown>;
    const [inner] = out.a as Record<string, unknown>[];
    const keys = Object.keys(inner);
    const bounded = keys.find((k) => k.startsWith('kkk'))!;
    expect(bytes(bounded)).toBeLessThanOrEqual(IDENTIFIER_BYTES);
    expect(MARKER.exec(bounded)![2]).toBe(sha(key));
    expect(bytes(inner[bounded] as string)).toBeLessThanOrEqual(1024);
    expect(inner).toMatchObject({ n: 1, b: true, z: null });
    expect(out['nul\uFFFD']).toBe('v\uFFFD');
  });

  it('masks the value of a key the masker names before shortening that key', () => {
    const key = `${'x'.repeat(600)}_password`;
    const out = boundJson({ [key]: 'hunter2', plain: 'p' }, 1024, (k) => k.endsWith('password'), '[MASKED]');
    expect(Object.values(out as object)).toEqual(['[MASKED]', 'p']);
  });

  it('keeps personal-data envelopes whole', () => {
    const envelope = { $pd: PERSONAL_DATA_ALG, subject: 's', iv: 'i', tag: 't', ct: 'c'.repeat(5000) };
    expect(boundJson({ email: envelope }, 1024)).toEqual({ email: envelope });
  });

  it('keeps two keys apart that sanitising would merge', () => {
    const out = boundJson({ 'a\u0000': 1, 'a\uFFFD': 2 }, 1024) as Record<string, number>;
    expect(Object.values(out).sort()).toEqual([1, 2]);
  });
});

describe('boundEvent', () => {
  const event = (over: Partial<AuditEvent>): AuditEvent => ({
    id: 'e',
    occurredAt: '2026-12-02T00:00:00.000Z',
    actor: { type: 'USER', id: 'u', display: null },
    action: 'LOGIN_FAILURE',
    entityType: 'User',
    entityId: 'alice',
    tenantId: null,
    module: null,
    transactionCode: null,
    before: null,
    after: null,
    changes: [],
    patch: [],
    source: { ip: null, userAgent: null, requestId: null, sessionId: null },
    metadata: {},
    ...over,
  });

  it('bounds identifiers to IDENTIFIER_BYTES and JSON values to the option', () => {
    const huge = 'm'.repeat(92_160);
    const out = boundEvent(
      event({
        entityId: huge,
        entityType: `T\u0000${huge}`,
        actor: { type: 'USER', id: huge, display: huge },
        source: { ip: null, userAgent: huge, requestId: null, sessionId: null },
        metadata: { username: huge },
        changes: [{ field: huge, before: huge, after: null }],
        patch: [{ op: 'replace', path: `/${huge}`, value: huge }],
      }),
      4096,
    );
    for (const text of [
      out.entityId,
      out.entityType,
      out.actor.id,
      out.actor.display!,
      out.source.userAgent!,
    ]) {
      expect(bytes(text)).toBeLessThanOrEqual(IDENTIFIER_BYTES);
    }
    expect(out.entityType).not.toContain('\u0000');
    expect(bytes(out.metadata.username as string)).toBeLessThanOrEqual(4096);
    expect(bytes(out.changes[0].field)).toBeLessThanOrEqual(IDENTIFIER_BYTES);
    // The patch path names the key as the bounded snapshot would.
    expect(out.patch[0].path).toBe(`/${boundText(huge, IDENTIFIER_BYTES)}`);
    expect(out.actor.type).toBe('USER');
  });
});

describe('sealableJson', () => {
  it('gives JSON text jsonb accepts: NUL and lone surrogates replaced, nothing cut', () => {
    const text = sealableJson({
      agent: 'a\u0000b',
      lone: 'x\uD800',
      pair: '\uD83D\uDE00',
      long: 'y'.repeat(9000),
    });
    expect(text).not.toMatch(/\\u0000|\\ud800/i);
    expect(JSON.parse(text)).toEqual({
      agent: 'a\uFFFDb',
      lone: 'x\uFFFD',
      pair: '\uD83D\uDE00',
      long: 'y'.repeat(9000),
    });
  });
});

import { createCipheriv } from 'node:crypto';
import { PersonalDataUnreadableError } from '../errors/personal-data-unreadable.error';
import { normalizeEvent } from '../events/normalize-event';
import type { AuditEvent } from '../events/audit-event';
import { canonicalJson } from './canonical-json';
import {
  isPersonalDataEnvelope,
  newSubjectKey,
  openPersonalValue,
  PERSONAL_DATA_ALG,
  sealPersonalValue,
  unwrapSubjectKey,
  wrapSubjectKey,
} from './personal-data-envelope';

const KEY = Buffer.alloc(32, 7);
const IV = Buffer.from('000102030405060708090a0b', 'hex');

describe('personal-data envelope', () => {
  it('is AES-256-GCM over the canonical value, with ["audit-pd/v1", subject, field] as AAD', () => {
    // Built from the documented format with node:crypto directly, as an independent reader would.
    const cipher = createCipheriv('aes-256-gcm', KEY, IV);
    cipher.setAAD(Buffer.from('["audit-pd/v1","u1","email"]'));
    const ct = Buffer.concat([cipher.update('"ann@x.test"'), cipher.final()]);
    const envelope = sealPersonalValue(KEY, 'u1', 'email', 'ann@x.test', IV);
    expect(envelope).toEqual({
      $pd: PERSONAL_DATA_ALG,
      subject: 'u1',
      iv: IV.toString('base64'),
      ct: ct.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
    });
    // Pinned: a change of the format shows here.
    expect([envelope.ct, envelope.tag]).toEqual(['OuCHHl1x9z0SwZG+', 'UFgGiFE+iRxkusmVY80+oA==']);
    expect(openPersonalValue(KEY, envelope, 'email')).toBe('ann@x.test');
  });

  it('round-trips any JSON value and draws a fresh IV per value', () => {
    const value = { street: 'Main 1', zip: ['1', 2], ok: true, none: null };
    const a = sealPersonalValue(KEY, 'u1', 'address', value);
    const b = sealPersonalValue(KEY, 'u1', 'address', value);
    expect(a.iv).not.toBe(b.iv);
    expect(a.ct).not.toBe(b.ct);
    expect(openPersonalValue(KEY, a, 'address')).toEqual(value);
    expect(openPersonalValue(KEY, b, 'address')).toEqual(value);
  });

  it('survives canonicalisation, JSON storage and normalizeEvent unchanged', () => {
    const envelope = sealPersonalValue(KEY, 'u1', 'email', 'ann@x.test');
    const stored = JSON.parse(canonicalJson(envelope).toString('utf8')) as unknown;
    expect(isPersonalDataEnvelope(stored)).toBe(true);
    const event = { before: { email: stored }, after: null, changes: [], patch: [] } as unknown as AuditEvent;
    const normalized = normalizeEvent({
      ...event,
      id: 'x',
      occurredAt: '2026-11-22T10:00:00.000Z',
      actor: { type: 'USER', id: 'u', display: null },
      action: 'UPDATE',
      entityType: 'User',
      entityId: 'u1',
      tenantId: null,
      module: null,
      transactionCode: null,
      source: { ip: null, userAgent: null, requestId: null, sessionId: null },
      metadata: {},
    });
    expect(openPersonalValue(KEY, normalized.before!.email as typeof envelope, 'email')).toBe('ann@x.test');
  });

  it.each([
    ['another subject’s key', (e: ReturnType<typeof sealPersonalValue>) => [newSubjectKey(), e, 'email']],
    [
      'the envelope moved to another subject',
      (e: ReturnType<typeof sealPersonalValue>) => [KEY, { ...e, subject: 'u2' }, 'email'],
    ],
    ['another field', (e: ReturnType<typeof sealPersonalValue>) => [KEY, e, 'username']],
    [
      'an altered ciphertext',
      (e: ReturnType<typeof sealPersonalValue>) => [
        KEY,
        { ...e, ct: Buffer.from('x').toString('base64') + e.ct.slice(4) },
        'email',
      ],
    ],
    [
      'an altered tag',
      (e: ReturnType<typeof sealPersonalValue>) => [
        KEY,
        { ...e, tag: Buffer.alloc(16).toString('base64') },
        'email',
      ],
    ],
  ] as const)('refuses to open with %s', (_, change) => {
    const [key, envelope, field] = change(sealPersonalValue(KEY, 'u1', 'email', 'ann@x.test')) as [
      Buffer,
      ReturnType<typeof sealPersonalValue>,
      string,
    ];
    expect(() => openPersonalValue(key, envelope, field)).toThrow(PersonalDataUnreadableError);
  });

  it('recognises only the exact envelope shape', () => {
    const envelope = sealPersonalValue(KEY, 'u1', 'email', 'x');
    expect(isPersonalDataEnvelope(envelope)).toBe(true);
    expect(isPersonalDataEnvelope({ ...envelope, extra: 'x' })).toBe(false);
    expect(isPersonalDataEnvelope({ ...envelope, $pd: 'aes-128-cbc' })).toBe(false);
    expect(isPersonalDataEnvelope({ ...envelope, iv: 1 })).toBe(false);
    expect(isPersonalDataEnvelope('x')).toBe(false);
    expect(isPersonalDataEnvelope([envelope])).toBe(false);
  });

  it('wraps a subject key under the key-encryption key, bound to the subject', () => {
    const kek = newSubjectKey();
    const key = newSubjectKey();
    const wrapped = wrapSubjectKey(kek, 'u1', key);
    expect(wrapped).toHaveLength(60);
    expect(wrapped.includes(key)).toBe(false);
    expect(unwrapSubjectKey(kek, 'u1', wrapped)).toEqual(key);
    expect(() => unwrapSubjectKey(kek, 'u2', wrapped)).toThrow(PersonalDataUnreadableError);
    expect(() => unwrapSubjectKey(newSubjectKey(), 'u1', wrapped)).toThrow(PersonalDataUnreadableError);
  });
});

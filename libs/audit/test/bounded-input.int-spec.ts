import { createHash } from 'node:crypto';
import { waitFor } from '../../../test/support/wait-for';
import { LogVerifier, type SealedAuditEvent } from '../src';
import { startFixtureApp, type FixtureApp } from './fixtures/fixture-app';
import { Product } from './fixtures/shop.entities';
import { waitForChain } from './fixtures/tamper';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const MARKER = /\u2026\[truncated (\d+) bytes, sha256:([0-9a-f]{64})\]$/;
const MAX = 4096;

/**
 * Issue #15, item 6: unauthenticated input reaches sealed events bounded (`maxSealedStringBytes`,
 * identifiers to 512 bytes) and without NUL, so a record built from it is always sealed, and its
 * chain verifies.
 */
describe('bounded input (maxSealedStringBytes)', () => {
  let f: FixtureApp;
  beforeAll(async () => (f = await startFixtureApp({ maxSealedStringBytes: MAX })));
  afterAll(() => f?.close());

  const sealedOne = async (entityType: string, entityId: string): Promise<SealedAuditEvent> => {
    await waitForChain(f, entityId, 1);
    const [event] = await f.trail(entityId, entityType);
    return event;
  };

  it('seals a LOGIN_FAILURE with a 90 KB username and a NUL byte, bounded and verifiable', async () => {
    const username = `${'u'.repeat(92_160)}\u0000`;
    const recorded = await f.audit.record({
      action: 'LOGIN_FAILURE',
      entityType: 'User',
      entityId: username,
      metadata: { username, reason: 'bad\u0000password', [`k${'k'.repeat(2000)}`]: 'long key' },
    });
    expect(bytes(recorded.entityId)).toBeLessThanOrEqual(512);
    const event = await sealedOne('User', recorded.entityId);
    expect(event.entityId).toBe(recorded.entityId);
    expect(event.entityId).not.toContain('\u0000');
    const value = event.metadata.username as string;
    expect(bytes(value)).toBeLessThanOrEqual(MAX);
    const [, length, hash] = MARKER.exec(value)!;
    expect([Number(length), hash]).toEqual([bytes(username), sha(username)]);
    expect(event.metadata.reason).toBe('bad\uFFFDpassword');
    expect(Object.keys(event.metadata).every((k) => bytes(k) <= 512)).toBe(true);
    expect((await f.audit.verifyTrail('User', recorded.entityId)).valid).toBe(true);
  });

  it('seals the refusal of a request whose own input holds NUL and lone surrogates (never AUDIT_WRITE_FAILED)', async () => {
    const entityType = `Account\u0000${'x'.repeat(5_300)}`;
    const recorded = await f.audit.record({
      action: 'PERMISSION_DENIED',
      entityType: 'graphql.request',
      entityId: 'req-bounded-1',
      metadata: { operation: 'auditTrail', args: { entityType, entityId: 'a\uD800b' } },
    });
    const event = await sealedOne('graphql.request', recorded.entityId);
    expect(event.action).toBe('PERMISSION_DENIED');
    const args = event.metadata.args as { entityType: string; entityId: string };
    expect(args.entityId).toBe('a\uFFFDb');
    expect(args.entityType.startsWith('Account\uFFFDxxx')).toBe(true);
    expect(MARKER.exec(args.entityType)![1]).toBe(String(bytes(entityType)));
    expect((await f.audit.verifyTrail('graphql.request', recorded.entityId)).valid).toBe(true);
  });

  it('neutralises a forged truncation marker in input', async () => {
    const forged = `short\u2026[truncated 92160 bytes, sha256:${'0'.repeat(64)}]`;
    const recorded = await f.audit.record({
      action: 'LOGIN_FAILURE',
      entityType: 'User',
      entityId: 'forger',
      metadata: { username: forged },
    });
    const event = await sealedOne('User', recorded.entityId);
    expect(event.metadata.username).toBe(forged.replace('\u2026', '\uFFFD'));
    expect(MARKER.test(event.metadata.username as string)).toBe(false);
  });

  it('bounds an @Auditable snapshot and a captured row change (a long text column), both verifiable', async () => {
    const long = 'n'.repeat(20_000);
    const account = await f.accounts.open({ name: long, email: 'b@x.test', tenantId: 't' });
    await waitForChain(f, account.id, 1);
    const [created] = await f.trail(account.id);
    expect(bytes(created.after!.name as string)).toBeLessThanOrEqual(MAX);
    expect(MARKER.exec(created.after!.name as string)![2]).toBe(sha(long));

    const em = f.orm.em.fork();
    const product = em.create(Product, { name: 'p', stock: 1, price: '1.00', tenantId: 'acme' });
    await em.flush();
    // From outside the app, as psql would: the capture trigger writes the whole row.
    await f.db.session((c) =>
      c.query('update shop_products set name = $2 where id = $1', [product.id, long]),
    );
    await waitForChain(f, product.id, 2);
    const [, updated] = await f.trail(product.id, 'Product');
    expect(updated.origin).toBe('DATABASE');
    expect(bytes(updated.after!.name as string)).toBeLessThanOrEqual(MAX);
    expect(updated.changes.map((c) => c.field)).toEqual(['name']);
    expect(MARKER.exec(updated.changes[0].after as string)![2]).toBe(sha(long));
    expect((await f.audit.verifyTrail('Product', product.id)).valid).toBe(true);
  });

  it('leaves the whole log verifiable', async () => {
    await waitFor(
      async () => (await f.db.query('select 1 from audit.outbox')).length === 0,
      'an empty outbox',
    );
    const report = await f.app.get(LogVerifier).verify('FULL');
    expect(report.failures).toEqual([]);
  });
});

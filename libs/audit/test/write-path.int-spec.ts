import { TransactionPropagation } from '@mikro-orm/core';
import { AuditContextService, AuditWriteFailedError, MASKED_VALUE } from '../src';
import { AuditEventFactory } from '../src/events/audit-event.factory';
import { OutboxWriter } from '../src/outbox/outbox.writer';
import { Account, Org } from './fixtures/account.entity';
import { DeliberateFailure } from './fixtures/accounts.service';
import { startFixtureApp, type FixtureApp } from './fixtures/fixture-app';

describe('audited write path (real PostgreSQL and Redis)', () => {
  let f: FixtureApp;
  let sealedSoFar = 0;
  const sealedPlus = async (n: number) => f.sealed((sealedSoFar += n));

  beforeAll(async () => {
    f = await startFixtureApp();
  });
  afterAll(async () => f.close());

  const open = (name: string, extra: Partial<Account> = {}) =>
    f.accounts.open({ name, email: `${name}@example.test`, tenantId: 'acme', ...extra });

  it('CREATE seals a snapshot of the new row, its fields as changes, a SYSTEM actor outside requests', async () => {
    const org = f.orm.em.fork().create(Org, { name: 'Acme Ltd' });
    await f.orm.em.fork().persist(org).flush();
    const account = await open('ada', {
      balance: '10.50',
      visits: 9007199254740993n,
      settings: { limits: { daily: 100 }, tags: ['a'] },
      address: { street: '1 Main St', city: 'Lisbon' },
      org,
    });
    await sealedPlus(1);

    const [event] = await f.trail(account.id);
    expect(event).toMatchObject({
      action: 'CREATE',
      entityType: 'Account',
      entityId: account.id,
      tenantId: 'acme',
      module: 'billing',
      transactionCode: 'ACCOUNT_OPEN',
      chainSeq: 1,
      actor: { type: 'SYSTEM', id: 'system' },
      source: { ip: null, userAgent: null, requestId: null, sessionId: null },
      metadata: { channel: 'api' },
      before: null,
    });
    expect(event.after).toEqual({
      id: account.id,
      name: 'ada',
      email: 'ada@example.test',
      balance: '10.50',
      visits: '9007199254740993',
      settings: { limits: { daily: 100 }, tags: ['a'] },
      address: { city: 'Lisbon', street: '1 Main St' },
      closedAt: null,
      apiToken: MASKED_VALUE,
      internalNote: MASKED_VALUE,
      tenantId: 'acme',
      org: org.id,
    });
    expect(event.changes).toContainEqual({ field: 'name', before: null, after: 'ada' });
    expect(event.patch).toContainEqual({ op: 'add', path: '/name', value: 'ada' });
    expect(event.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    expect(event.occurredAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('UPDATE records exactly the changed fields, nested paths, whole arrays, dates; as JSON Patch too', async () => {
    const account = await open('bea', { settings: { limits: { daily: 5 }, tags: ['x'] } });
    const closedAt = new Date('2026-01-02T03:04:05.678Z');
    await f.accounts.update(account.id, {
      email: 'bea@new.test',
      settings: { limits: { daily: 50 }, tags: ['x', 'y'] },
      closedAt,
    });
    await sealedPlus(2);

    const [, update] = await f.trail(account.id);
    expect(update.action).toBe('UPDATE');
    expect(update.chainSeq).toBe(2);
    expect(update.changes).toEqual([
      { field: 'closedAt', before: null, after: '2026-01-02T03:04:05.678Z' },
      { field: 'email', before: 'bea@example.test', after: 'bea@new.test' },
      { field: 'settings.limits.daily', before: 5, after: 50 },
      { field: 'settings.tags', before: ['x'], after: ['x', 'y'] },
    ]);
    expect(update.patch).toEqual(
      expect.arrayContaining([
        { op: 'replace', path: '/email', value: 'bea@new.test' },
        { op: 'replace', path: '/settings/limits/daily', value: 50 },
        { op: 'add', path: '/settings/tags/1', value: 'y' },
      ]),
    );
    expect(update.before).toMatchObject({ email: 'bea@example.test', closedAt: null });
    expect(update.after).toMatchObject({ email: 'bea@new.test', closedAt: '2026-01-02T03:04:05.678Z' });
  });

  it('masks sensitive fields everywhere: a change is recorded, its values never stored', async () => {
    const account = await open('cy', { apiToken: 'tok-OLD-secret-1', internalNote: 'note-OLD-secret-2' });
    await f.accounts.update(account.id, { apiToken: 'tok-NEW-secret-3', internalNote: 'note-NEW-secret-4' });
    await sealedPlus(2);

    const [, update] = await f.trail(account.id);
    expect(update.changes).toEqual([
      { field: 'apiToken', before: MASKED_VALUE, after: MASKED_VALUE },
      { field: 'internalNote', before: MASKED_VALUE, after: MASKED_VALUE },
    ]);
    const stored = JSON.stringify(
      await f.db.query('select * from audit.events where entity_id = $1', [account.id]),
    );
    expect(stored).not.toMatch(/secret-\d/);
  });

  it('DELETE seals the last state as before and null after', async () => {
    const account = await open('dee');
    await f.accounts.close(account.id);
    await sealedPlus(2);

    const [, deleted] = await f.trail(account.id);
    expect(deleted).toMatchObject({ action: 'DELETE', chainSeq: 2, after: null, before: { name: 'dee' } });
    expect(deleted.changes).toContainEqual({ field: 'name', before: 'dee', after: null });
    expect(await f.db.query('select 1 from accounts where id = $1', [account.id])).toHaveLength(0);
  });

  it('custom actions, entity by name, only/ignore field lists', async () => {
    const account = await open('eve');
    await f.accounts.rename({ id: account.id, name: 'eve-renamed' });
    await f.accounts.visit(account.id, 'eve@visited.test');
    await sealedPlus(3);

    const [, rename, visit] = await f.trail(account.id);
    expect(rename.action).toBe('RENAME');
    expect(rename.before).toEqual({ name: 'eve' });
    expect(rename.changes).toEqual([{ field: 'name', before: 'eve', after: 'eve-renamed' }]);
    expect(visit.action).toBe('VISIT');
    expect(visit.after).not.toHaveProperty('visits');
    expect(visit.changes).toEqual([
      { field: 'email', before: 'eve@example.test', after: 'eve@visited.test' },
    ]);
  });

  it('AuditService.record seals a domain event with the same shape and guarantees', async () => {
    const recorded = await f.audit.record({
      action: 'LOGIN_FAILURE',
      entityType: 'User',
      entityId: 'username:mallory',
      metadata: { username: 'mallory', password: 'hunter2' },
    });
    await sealedPlus(1);

    const [event] = await f.trail('username:mallory', 'User');
    expect(event).toMatchObject({
      id: recorded.id,
      action: 'LOGIN_FAILURE',
      before: null,
      after: null,
      changes: [],
      actor: { type: 'SYSTEM' },
      metadata: { username: 'mallory', password: MASKED_VALUE },
    });
  });

  it('a method that throws leaves neither its change nor an event', async () => {
    const account = await open('fay');
    await sealedPlus(1);
    await expect(f.accounts.updateThenFail(account.id, { name: 'changed' })).rejects.toBeInstanceOf(
      DeliberateFailure,
    );

    const [row] = await f.db.query<{ name: string }>('select name from accounts where id = $1', [account.id]);
    expect(row.name).toBe('fay');
    expect(await f.db.query('select 1 from audit.outbox')).toHaveLength(0);
    expect(await f.trail(account.id)).toHaveLength(1);
  });

  it('recordFailures seals the failed attempt as <ACTION>_FAILED while the change rolls back', async () => {
    const account = await open('gus');
    await expect(f.accounts.riskyUpdate(account.id, { name: 'changed' })).rejects.toBeInstanceOf(
      DeliberateFailure,
    );
    await sealedPlus(2);

    const [opened, failed] = await f.trail(account.id);
    expect(failed).toMatchObject({
      action: 'UPDATE_FAILED',
      transactionCode: 'RISKY',
      tenantId: 'acme',
      changes: [],
      metadata: { error: { name: 'DeliberateFailure', code: 'DELIBERATE' } },
    });
    // Nothing changed: the attempt found the state the previous event left, and left it so.
    expect(failed.before).toEqual(opened.after);
    expect(failed.after).toEqual(opened.after);
    const [row] = await f.db.query<{ name: string }>('select name from accounts where id = $1', [account.id]);
    expect(row.name).toBe('gus');
  });

  it('a failing outbox write rolls the business change back and reaches the caller', async () => {
    const account = await open('hal');
    await sealedPlus(1);
    await f.db.query(
      `alter table audit.outbox add constraint reject_hal check (entity_id <> '${account.id}')`,
    );
    try {
      await expect(f.accounts.update(account.id, { name: 'not-saved' })).rejects.toBeInstanceOf(
        AuditWriteFailedError,
      );
    } finally {
      await f.db.query('alter table audit.outbox drop constraint reject_hal');
    }
    const [row] = await f.db.query<{ name: string }>('select name from accounts where id = $1', [account.id]);
    expect(row.name).toBe('hal');
    expect(await f.trail(account.id)).toHaveLength(1);
  });

  it('writes more events in one call than one statement takes (PostgreSQL: 65,535 parameters)', async () => {
    const factory = f.app.get(AuditEventFactory);
    const context = f.app.get(AuditContextService).system();
    const events = Array.from({ length: 16_384 }, (_, i) =>
      factory.forDomainEvent({ action: 'BULK', entityType: 'Bulk', entityId: `b${i}` }, context),
    );
    // 4 parameters each: one statement would need 65,536. Rolled back once counted: nothing to seal.
    await expect(
      f.orm.em.fork().transactional(async (em) => {
        await f.app.get(OutboxWriter).write(em, events);
        const [{ n }] = await em
          .getConnection()
          .execute<{ n: number }[]>(
            `select count(*)::int as n from audit.outbox where entity_type = 'Bulk'`,
            [],
            'all',
            em.getTransactionContext(),
          );
        expect(n).toBe(16_384);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await f.db.query(`select 1 from audit.outbox where entity_type = 'Bulk'`)).toHaveLength(0);
  });

  it('joins the caller’s transaction: an outer rollback leaves no event, an outer commit seals after commit', async () => {
    const account = await open('ivy');
    await sealedPlus(1);

    await expect(
      f.orm.em.fork().transactional(async () => {
        await f.accounts.update(account.id, { name: 'rolled-back' });
        await f.accounts.rename({ id: account.id, name: 'rolled-back-2' });
        throw new Error('outer rollback');
      }),
    ).rejects.toThrow('outer rollback');

    await f.orm.em.fork().transactional(
      async () => {
        await f.accounts.update(account.id, { email: 'ivy@committed.test' });
        await f.accounts.rename({ id: account.id, name: 'ivy-committed' });
        // Nothing may be sealed, or even visible, before the outer transaction commits.
        expect(await f.db.query('select 1 from audit.outbox')).toHaveLength(0);
      },
      { propagation: TransactionPropagation.REQUIRED },
    );
    await sealedPlus(2);

    const trail = await f.trail(account.id);
    expect(trail.map((e) => e.action)).toEqual(['CREATE', 'UPDATE', 'RENAME']);
    expect(trail[2].changes).toEqual([{ field: 'name', before: 'ivy', after: 'ivy-committed' }]);
  });

  it('the relay seals an event committed but never enqueued (crash between commit and enqueue)', async () => {
    const id = '01930000-0000-7000-8000-000000000001';
    // Written by hand, as another producer might: no milliseconds, optional members left out.
    const now = new Date().toISOString().slice(0, 19);
    const event = {
      id,
      occurredAt: `${now}Z`,
      actor: { type: 'SYSTEM', id: 'system' },
      action: 'REINDEX',
      entityType: 'Index',
      entityId: 'accounts',
      changes: [],
      patch: [],
      source: {},
      metadata: {},
    };
    await f.db.query(
      `insert into audit.outbox (id, entity_type, entity_id, payload, created_at)
       values ($1, 'Index', 'accounts', $2, now() - interval '1 minute')`,
      [id, JSON.stringify(event)],
    );
    await sealedPlus(1);
    expect(await f.trail('accounts', 'Index')).toEqual([
      // trail() verified the chain: the sealer and the verifier hashed the same normalised event.
      expect.objectContaining({
        id,
        action: 'REINDEX',
        chainSeq: 1,
        occurredAt: `${now}.000Z`,
        origin: 'ASSERTED',
      }),
    ]);
  });

  it('CREATE finds the id on a returned DTO as well as on a returned entity', async () => {
    const dto = await f.accounts.openAsDto({ name: 'dto', email: 'dto@x.test', tenantId: 'acme' });
    await sealedPlus(1);
    const [event] = await f.trail(dto.id);
    expect(event).toMatchObject({ action: 'CREATE', entityId: dto.id, after: { id: dto.id, name: 'dto' } });
  });
});

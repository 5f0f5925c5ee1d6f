import { BadRequestException } from '@nestjs/common';
import {
  AuditContextService,
  AuditRevertRefusedError,
  AuditRevertService,
  MASKED_VALUE,
  type SealedAuditEvent,
} from '../src';
import { startFixtureApp, type FixtureApp } from './fixtures/fixture-app';
import { waitForChain } from './fixtures/tamper';

/**
 * The revert service with the default restorer (MikroORM assign / create / remove + flush), on
 * both capture paths: Account (the unit of work records the event) and Product (the database's
 * row capture records every row change, SQL consoles included). docs/revert.md.
 */
describe('AuditRevertService with the default restorer', () => {
  let f: FixtureApp;
  let reverts: AuditRevertService;
  const global = { tenantId: null };
  const acme = { tenantId: 'acme' };
  const asAdmin = <T>(fn: () => Promise<T>) =>
    f.app.get(AuditContextService).run(
      {
        actor: { type: 'USER', id: 'u-admin', display: 'admin' },
        tenantId: 'acme',
        source: { ip: '10.0.0.9', userAgent: 'jest', requestId: 'req-revert', sessionId: null },
      },
      fn,
    );
  const trailOf = (id: string, type = 'Account'): Promise<SealedAuditEvent[]> => f.audit.trail(type, id);
  const accountRow = async (id: string) =>
    (
      await f.db.query<Record<string, unknown>>(
        'select name, email, settings, api_token, address_street, address_city from accounts where id = $1',
        [id],
      )
    )[0];
  const refusal = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AuditRevertRefusedError);
    return error as AuditRevertRefusedError;
  };

  beforeAll(async () => {
    f = await startFixtureApp();
    reverts = f.app.get(AuditRevertService);
  });
  afterAll(async () => f.close());

  it('reverts an update of JSON and embedded values on the unit-of-work path; a masked value is never written', async () => {
    const account = await f.accounts.open({
      name: 'before',
      email: 'a@x.test',
      tenantId: 'acme',
      settings: { limits: { daily: 5 }, tags: ['a'] },
      address: { street: '1 Main St', city: 'Oslo' },
    });
    await f.accounts.update(account.id, {
      name: 'after',
      settings: { limits: { daily: 50 } },
      address: { street: '2 High St', city: 'Bergen' },
      apiToken: 'secret-2',
    });
    await waitForChain(f, account.id, 2);
    const [, change] = await trailOf(account.id);

    const preview = await reverts.previewRevert(acme, change.id);
    expect(preview.plan.fields.map((x) => x.field)).toEqual(['address', 'name', 'settings']);
    expect(preview.plan.notRestorable).toEqual([]);
    expect(JSON.stringify(preview)).not.toContain('secret-2');
    expect(preview.plan.current?.apiToken).toBe(MASKED_VALUE);

    const outcome = await asAdmin(() => reverts.revertChange(acme, change.id, { reason: 'test' }));
    expect(outcome.applied).toBe(true);
    expect(await accountRow(account.id)).toEqual({
      name: 'before',
      email: 'a@x.test',
      settings: { limits: { daily: 5 }, tags: ['a'] },
      api_token: 'secret-2',
      address_street: '1 Main St',
      address_city: 'Oslo',
    });
    await waitForChain(f, account.id, 3);
    const revert = (await trailOf(account.id))[2];
    expect(revert).toMatchObject({
      action: 'REVERT',
      origin: 'ASSERTED',
      operationId: outcome.operationId,
      actor: { id: 'u-admin' },
      source: { requestId: 'req-revert' },
      metadata: { revertOf: [change.id], reason: 'test', appliedFields: ['address', 'name', 'settings'] },
    });
    expect(revert.after).toMatchObject({ name: 'before', settings: { limits: { daily: 5 }, tags: ['a'] } });
  });

  it('reverts a change made in psql on a captured table, and restores a deleted row with its key', async () => {
    const id = '01936f5e-0000-7000-8000-00000000a001';
    await f.db.query(
      `insert into shop_products (id, name, stock, price, active, tenant_id, supplier_token)
       values ($1, 'lamp', 3, 10.00, true, 'acme', 'tok-1')`,
      [id],
    );
    await f.db.query(`update shop_products set price = 99.00, name = 'LAMP' where id = $1`, [id]);
    await waitForChain(f, id, 2);
    const [, sqlEdit] = await trailOf(id, 'Product');
    expect(sqlEdit.origin).toBe('DATABASE');

    const outcome = await asAdmin(() => reverts.revertChange(acme, sqlEdit.id));
    expect(outcome.applied).toBe(true);
    const [row] = await f.db.query('select name, price from shop_products where id = $1', [id]);
    expect(row).toEqual({ name: 'lamp', price: '10.00' });
    await waitForChain(f, id, 3);
    expect((await trailOf(id, 'Product'))[2]).toMatchObject({ action: 'REVERT', origin: 'APP' });

    await f.db.query('delete from shop_products where id = $1', [id]);
    await waitForChain(f, id, 4);
    const preview = await reverts.previewRestore(acme, 'Product', id, { chainSeq: 3 });
    expect(preview.decision.mode).toBe('CREATE');
    // Masked columns are dropped by the capture trigger, whatever their value: never restorable.
    expect(preview.plan.notRestorable).toEqual([
      { field: 'costNote', reason: 'MASKED' },
      { field: 'supplierToken', reason: 'MASKED' },
    ]);
    const restored = await asAdmin(() => reverts.restoreEntity(acme, 'Product', id, { chainSeq: 3 }));
    expect(restored.applied).toBe(true);
    const [again] = await f.db.query(
      'select name, price, stock, tenant_id, supplier_token from shop_products where id = $1',
      [id],
    );
    // The masked token was never in the ledger: the re-created row does not get the mask.
    expect(again).toEqual({
      name: 'lamp',
      price: '10.00',
      stock: 3,
      tenant_id: 'acme',
      supplier_token: null,
    });
    await waitForChain(f, id, 5);
    expect((await trailOf(id, 'Product'))[4]).toMatchObject({ action: 'RESTORE', before: null });
  });

  it('refuses what the caller may not see or cannot revert', async () => {
    const account = await f.accounts.open({ name: 'globex one', email: 'g@x.test', tenantId: 'globex' });
    await f.accounts.update(account.id, { name: 'globex two' });
    await waitForChain(f, account.id, 2);
    const [, change] = await trailOf(account.id);
    expect((await refusal(reverts.previewRevert(acme, change.id))).code).toBe('NOT_FOUND');
    expect((await refusal(reverts.previewRestore(acme, 'Account', account.id, { chainSeq: 1 }))).code).toBe(
      'NOT_FOUND',
    );
    expect((await refusal(reverts.previewRevert(global, '01936f5e-0000-7000-8000-0000000000ff'))).code).toBe(
      'NOT_FOUND',
    );
    expect((await refusal(reverts.previewRestore(global, 'NoSuchEntity', 'x', { chainSeq: 1 }))).code).toBe(
      'AUDIT_NOT_REVERTIBLE',
    );
    // A global principal may; the preview names no conflict.
    expect((await reverts.previewRevert(global, change.id)).decision.blocked).toBe(false);
  });
  // NOTE: last, since the restorer it registers stays for the rest of the app's life.
  it("goes through an app's restorer, and records its refusal as REVERT_FAILED with nothing written", async () => {
    const account = await f.accounts.open({ name: 'kept', email: 'k@x.test', tenantId: 'acme' });
    await f.accounts.update(account.id, { name: 'renamed' });
    await waitForChain(f, account.id, 2);
    const [, change] = await trailOf(account.id);
    const calls: string[] = [];
    reverts.registerRestorer('Account', {
      writable: ['email'],
      restore: ({ mode }) => {
        calls.push(mode);
        return Promise.reject(new BadRequestException('refused by the app'));
      },
    });
    // `name` is not writable for this restorer: nothing to do, nothing written, no event.
    const preview = await reverts.previewRevert(acme, change.id);
    expect(preview.plan.notRestorable).toEqual([{ field: 'name', reason: 'NOT_WRITABLE' }]);
    expect(await asAdmin(() => reverts.revertChange(acme, change.id))).toMatchObject({ applied: false });
    expect(calls).toEqual([]);

    await f.accounts.update(account.id, { email: 'k2@x.test' });
    await waitForChain(f, account.id, 3);
    const [, , email] = await trailOf(account.id);
    await expect(asAdmin(() => reverts.revertChange(acme, email.id))).rejects.toThrow('refused by the app');
    expect(calls).toEqual(['UPDATE']);
    expect((await accountRow(account.id)).email).toBe('k2@x.test');
    await waitForChain(f, account.id, 4);
    const failed = (await trailOf(account.id))[3];
    expect(failed).toMatchObject({
      action: 'REVERT_FAILED',
      changes: [],
      metadata: { revertOf: [email.id] },
    });
  });
});

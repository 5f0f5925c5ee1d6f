import { DRIFT_DETECTED, MASKED_VALUE } from '../src';
import { startFixtureApp, type FixtureApp } from './fixtures/fixture-app';
import { waitForChain } from './fixtures/tamper';

/** A change made outside audited code (a SQL console, another service) shows at the next audited call. */
describe('drift detection', () => {
  let f: FixtureApp;
  beforeAll(async () => (f = await startFixtureApp()));
  afterAll(async () => f.close());

  it('seals a DRIFT_DETECTED event before an event whose before differs from the previous after, and drops nothing', async () => {
    const account = await f.accounts.open({ name: 'original', email: 'a@x.test', tenantId: 'acme' });
    await waitForChain(f, account.id, 1);
    await f.db.query(`update accounts set name = 'changed outside', api_token = 'leaked' where id = $1`, [
      account.id,
    ]);
    await f.accounts.update(account.id, { email: 'b@x.test' });
    await waitForChain(f, account.id, 3);

    const trail = await f.trail(account.id);
    expect(trail.map((e) => e.action)).toEqual(['CREATE', DRIFT_DETECTED, 'UPDATE']);
    const [, drift, update] = trail;
    expect(drift).toMatchObject({
      actor: { type: 'SYSTEM', id: 'system' },
      tenantId: 'acme',
      before: { name: 'original' },
      after: { name: 'changed outside' },
      changes: [{ field: 'name', before: 'original', after: 'changed outside' }],
      metadata: { eventId: update.id, fields: ['name'] },
    });
    // A masked field is recorded as the mask on both sides, so its drift cannot show (and its
    // value never appears in clear).
    expect(trail[0].after!.apiToken).toBe(MASKED_VALUE);
    expect(JSON.stringify(trail)).not.toContain('leaked');
    // The audited change itself is sealed unchanged, and the chain replays: each before is the previous after.
    expect(update.changes).toEqual([{ field: 'email', before: 'a@x.test', after: 'b@x.test' }]);
    expect(drift.before).toEqual({ name: trail[0].after!.name });
    expect(update.before).toMatchObject(drift.after!);
  });

  it('records no drift when nothing changed between audited calls', async () => {
    const account = await f.accounts.open({ name: 'steady', email: 's@x.test', tenantId: 'acme' });
    await waitForChain(f, account.id, 1);
    await f.accounts.update(account.id, { name: 'steady 2' });
    await f.accounts.update(account.id, { name: 'steady 3' });
    await waitForChain(f, account.id, 3);
    expect((await f.trail(account.id)).map((e) => e.action)).toEqual(['CREATE', 'UPDATE', 'UPDATE']);
  });
});

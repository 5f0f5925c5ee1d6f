import { randomBytes } from 'node:crypto';
import {
  AuditQueryService,
  AuditSubjectErasure,
  Checkpointer,
  DRIFT_DETECTED,
  ERASED_VALUE,
  isPersonalDataEnvelope,
  LogVerifier,
  PersonalDataUnreadableError,
  SUBJECT_ENTITY,
  type AuditModuleOptions,
} from '../src';
import { SubjectKeys, sqlOn } from '../src/personal-data/subject-keys.service';
import { startFixtureApp, type FixtureApp } from './fixtures/fixture-app';
import { waitForChain } from './fixtures/tamper';
import { type SqlSession, sqlOf } from '../src/storage/sql-session';

const GLOBAL = { tenantId: null };
const PLAINTEXT = /Ann Example|ann@example\.test|ann@new\.test|outside@x\.test|again@x\.test/;

/**
 * Crypto-shredding: the Account fixture's `name` and `email` are personal data of the account.
 * The outbox and the store hold only envelopes; reads decrypt them until the subject is erased,
 * then read `[ERASED]`, while every chain and the whole log still verify.
 */
describe('personal data and subject erasure', () => {
  const options: AuditModuleOptions = {
    personalData: { Account: { fields: ['name', 'email'] } },
    subjectKeyEncryptionKey: randomBytes(32).toString('base64'),
  };
  let writer: FixtureApp;
  let f: FixtureApp;
  let id: string;
  const queries = () => f.app.get(AuditQueryService);
  const keyRow = async (subject: string) =>
    (
      await writer.db.query<{ wrapped_key: Buffer | null; erased_at: Date | null }>(
        'select wrapped_key, erased_at from audit.subject_keys where subject_id = $1',
        [subject],
      )
    )[0];
  const rawEvents = (entityId: string) =>
    writer.db.query<{ action: string; stored: string }>(
      `select action, concat_ws(' ', before::text, after::text, changes::text, patch::text) as stored
       from audit.events where entity_id = $1 and entity_type = 'Account' order by chain_seq`,
      [entityId],
    );

  beforeAll(async () => {
    // The writer has no worker, so its events wait in the outbox until `f` (with one) starts.
    writer = await startFixtureApp({ ...options, inProcessWorker: false });
    const account = await writer.accounts.open({
      name: 'Ann Example',
      email: 'ann@example.test',
      tenantId: 'acme',
    });
    id = account.id;
    await writer.accounts.update(id, { email: 'ann@new.test', balance: '10.00' });
  });
  afterAll(async () => {
    await f?.close();
    await writer.close();
  });

  it('writes only envelopes to the outbox: no personal value in clear', async () => {
    const rows = await writer.db.query<{ payload: { after: Record<string, unknown> }; text: string }>(
      'select payload, payload::text as text from audit.outbox where entity_id = $1 order by seq',
      [id],
    );
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row.text).not.toMatch(PLAINTEXT);
    expect(rows[1].payload.after.email).toMatchObject({ $pd: 'aes-256-gcm/v1', subject: id });
    expect(isPersonalDataEnvelope(rows[1].payload.after.name)).toBe(true);
    expect(rows[1].payload.after.balance).toBe('10.00');
    expect((await keyRow(id))?.wrapped_key).toHaveLength(60);
  });

  it('seals the envelopes, reads them back in clear, and raises no drift for re-encrypted values', async () => {
    f = await startFixtureApp(options, { db: writer.db, queuePrefix: writer.queuePrefix, migrate: false });
    await waitForChain(f, id, 2);
    for (const row of await rawEvents(id)) expect(row.stored).not.toMatch(PLAINTEXT);

    const { events, verification } = await queries().verifiedTrail(GLOBAL, 'Account', id);
    expect(verification.valid).toBe(true);
    // The update's `before` envelopes differ from the create's `after` ones (fresh IVs): no drift.
    expect(events.map((e) => e.action)).toEqual(['CREATE', 'UPDATE']);
    expect(events[1].changes).toContainEqual({
      field: 'email',
      before: 'ann@example.test',
      after: 'ann@new.test',
    });
    expect(events[1].before).toMatchObject({ name: 'Ann Example', email: 'ann@example.test' });
    expect(await queries().entityAt(GLOBAL, 'Account', id, new Date())).toMatchObject({
      name: 'Ann Example',
      email: 'ann@new.test',
      balance: '10.00',
    });
    const page = await queries().search(
      GLOBAL,
      { entityId: id },
      { first: 10, after: null, descending: false },
    );
    expect(page.events[0].after).toMatchObject({ email: 'ann@example.test' });
    expect((await f.trail(id))[1].after).toMatchObject({ email: 'ann@new.test' });
  });

  it('detects a personal value changed outside audited code, comparing plaintext', async () => {
    await f.db.query(`update accounts set email = 'outside@x.test' where id = $1`, [id]);
    await f.accounts.update(id, { balance: '20.00' });
    await waitForChain(f, id, 4);
    const { events } = await queries().verifiedTrail(GLOBAL, 'Account', id);
    expect(events.map((e) => e.action)).toEqual(['CREATE', 'UPDATE', DRIFT_DETECTED, 'UPDATE']);
    expect(events[2].changes).toEqual([{ field: 'email', before: 'ann@new.test', after: 'outside@x.test' }]);
    expect(events[3].drift).toEqual(events[2].changes);
    for (const row of await rawEvents(id)) expect(row.stored).not.toMatch(PLAINTEXT);
  });

  it('erases the subject: reads show the marker, the key is gone, every chain and the log still verify', async () => {
    const erasure = f.app.get(AuditSubjectErasure);
    expect(await erasure.status(id)).toMatchObject({ state: 'ACTIVE', erasedAt: null });
    const erased = await erasure.erase(id, { reason: 'GDPR art. 17 request 42' });
    expect(erased).toMatchObject({ subjectId: id, alreadyErased: false, keyDestroyed: true });
    expect(await keyRow(id)).toMatchObject({ wrapped_key: null, erased_at: erased.erasedAt });
    // Idempotent: nothing more is destroyed or recorded.
    expect(await erasure.erase(id, { reason: 'again' })).toMatchObject({
      alreadyErased: true,
      eventId: null,
      erasedAt: erased.erasedAt,
    });
    expect(await erasure.status(id)).toMatchObject({ state: 'ERASED', erasedAt: erased.erasedAt });

    const { events, verification } = await queries().verifiedTrail(GLOBAL, 'Account', id);
    expect(verification.valid).toBe(true);
    expect(events[1].changes).toContainEqual({ field: 'email', before: ERASED_VALUE, after: ERASED_VALUE });
    expect(events[1].changes).toContainEqual({ field: 'balance', before: '0.00', after: '10.00' });
    expect(events[2].after).toEqual({ email: ERASED_VALUE });
    expect(events[3].drift).toEqual([{ field: 'email', before: ERASED_VALUE, after: ERASED_VALUE }]);
    expect(await queries().entityAt(GLOBAL, 'Account', id, new Date())).toMatchObject({
      name: ERASED_VALUE,
      email: ERASED_VALUE,
      balance: '20.00',
    });
    expect(JSON.stringify(await f.trail(id))).not.toMatch(PLAINTEXT);

    // The erasure is itself a sealed audit event.
    await waitForChain(f, id, 5);
    const [event] = await f.audit.trail(SUBJECT_ENTITY, id);
    expect(event).toMatchObject({
      action: 'ERASE',
      entityId: id,
      metadata: {
        reason: 'GDPR art. 17 request 42',
        erasedAt: erased.erasedAt.toISOString(),
        keyDestroyed: true,
      },
    });
    expect(event.id).toBe(erased.eventId);
    expect(event.integrity).not.toBeNull();
    await f.app.get(Checkpointer).run('NOW');
    expect(await f.app.get(LogVerifier).verify('FULL')).toMatchObject({ valid: true, failures: [] });
  });

  it('records a later personal value of an erased subject as the marker, and makes it no new key', async () => {
    await f.accounts.update(id, { email: 'again@x.test' });
    await waitForChain(f, id, 6);
    const rows = await rawEvents(id);
    expect(rows[rows.length - 1].stored).not.toMatch(PLAINTEXT);
    expect(rows[rows.length - 1].stored).toContain(`"email": "${ERASED_VALUE}"`);
    expect(await keyRow(id)).toMatchObject({ wrapped_key: null });
    const { events } = await queries().verifiedTrail(GLOBAL, 'Account', id);
    expect(events.filter((e) => e.action === DRIFT_DETECTED)).toHaveLength(1);
  });

  it('refuses, in the database, every change of a subject key but erasure, and un-erasing', async () => {
    const other = await f.accounts.open({ name: 'Bo', email: 'bo@x.test', tenantId: 'acme' });
    const live = (await keyRow(other.id)).wrapped_key!;
    const refused = /subject_keys(:| is append-only:) (UPDATE|DELETE|TRUNCATE) refused/;
    await expect(
      f.db.query('delete from audit.subject_keys where subject_id = $1', [other.id]),
    ).rejects.toThrow(refused);
    await expect(f.db.query('truncate audit.subject_keys')).rejects.toThrow(refused);
    await expect(
      f.db.query(
        `update audit.subject_keys set created_at = now() - interval '1 day' where subject_id = $1`,
        [other.id],
      ),
    ).rejects.toThrow(refused);
    await expect(
      f.db.query('update audit.subject_keys set wrapped_key = $2 where subject_id = $1', [
        other.id,
        randomBytes(60),
      ]),
    ).rejects.toThrow(refused);
    await expect(
      f.db.query('update audit.subject_keys set wrapped_key = $2, erased_at = null where subject_id = $1', [
        id,
        live,
      ]),
    ).rejects.toThrow(refused);
    await expect(
      f.db.query('update audit.subject_keys set erased_at = now() where subject_id = $1', [id]),
    ).rejects.toThrow(refused);
    expect(await keyRow(other.id)).toMatchObject({ wrapped_key: live, erased_at: null });
  });

  it('refuses to read a ciphertext moved to another subject', async () => {
    const a = await f.accounts.open({ name: 'Cy', email: 'cy@x.test', tenantId: 'acme' });
    const b = await f.accounts.open({ name: 'Di', email: 'di@x.test', tenantId: 'acme' });
    await waitForChain(f, a.id, 1);
    await waitForChain(f, b.id, 1);
    // An insider copies a's email envelope into b's event, relabelled as b's.
    await f.db.tamper(
      `update audit.events set after = jsonb_set(after, '{email}',
         jsonb_set((select after->'email' from audit.events where entity_id = $1), '{subject}', to_jsonb($2::text)))
       where entity_id = $2`,
      [a.id, b.id],
    );
    const search = queries().search(
      GLOBAL,
      { entityId: b.id },
      { first: 10, after: null, descending: false },
    );
    await expect(search).rejects.toBeInstanceOf(PersonalDataUnreadableError);
    expect((await f.audit.verifyTrail('Account', b.id)).valid).toBe(false);
  });

  it('ends with one key when two transactions make the same subject’s first key at once', async () => {
    const keys = f.app.get(SubjectKeys);
    const subject = `race-${randomBytes(4).toString('hex')}`;
    const sql = sqlOf(f.orm);
    const make = () => sql.transaction((trx: SqlSession) => keys.forWrite(sqlOn(trx), [subject]));
    const [one, two] = await Promise.all([make(), make()]);
    expect(one.get(subject)).toEqual(two.get(subject));
    expect(
      await f.db.query('select 1 from audit.subject_keys where subject_id = $1', [subject]),
    ).toHaveLength(1);
  });
});

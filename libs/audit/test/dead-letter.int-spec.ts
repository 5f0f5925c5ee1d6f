import { getQueueToken } from '@nestjs/bullmq';
import { HealthCheckService } from '@nestjs/terminus';
import type { Queue } from 'bullmq';
import { Client } from 'pg';
import { waitFor } from '../../../test/support/wait-for';
import {
  AUDIT_OPTIONS_TYPE,
  AUDIT_QUEUE,
  AuditDeadLetters,
  AuditHealthIndicator,
  AuditMetrics,
  type DeadLetter,
} from '../src';
import { startFixtureApp, type FixtureApp } from './fixtures/fixture-app';
import { waitForChain } from './fixtures/tamper';

const MAX_ATTEMPTS = 3;
const poisonId = '01890a5d-ac96-774b-bcce-b302099a8057';

/**
 * A poison event: an outbox row the worker can never seal (here a payload with no actor and a
 * garbled timestamp, as a buggy or older producer might write). Policy BLOCK: it is retried, then
 * parked; its entity's later events wait behind it, in order; other entities are sealed as usual;
 * after the fix, a retry seals the whole chain in commit order.
 */
describe('poison events and dead letters', () => {
  let f: FixtureApp;
  const parked: DeadLetter[] = [];
  beforeAll(async () => {
    f = await startWithDeadLetters(parked, { relay: { intervalMs: 200, graceMs: 200 } });
  });
  afterAll(async () => f.close());

  it('retries, parks it with an alert, blocks only its entity, and seals the chain in order once fixed', async () => {
    const account = await f.accounts.open({ name: 'v0', email: 'p@x.test', tenantId: 'acme' });
    await waitForChain(f, account.id, 1);
    const { base, poison } = await insertPoison(f, account.id);
    await f.accounts.update(account.id, { name: 'v1' });
    const other = await f.accounts.open({ name: 'other', email: 'o@x.test', tenantId: 'acme' });
    await f.accounts.update(other.id, { name: 'other 2' });

    const deadLetters = f.app.get(AuditDeadLetters);
    await waitFor(async () => (await deadLetters.list()).length === 1, 'the poison event parked');
    const [letter] = await deadLetters.list();
    expect(letter).toMatchObject({
      eventId: poisonId,
      entityType: 'Account',
      entityId: account.id,
      attempts: MAX_ATTEMPTS,
      blockedEvents: 1,
    });
    expect(letter.lastError).toContain('occurredAt is not a timestamp');
    expect(letter.lastError).not.toContain('yesterday-ish');
    expect(parked).toEqual([letter]);

    // Other entities go on; the blocked entity keeps its sealed prefix and its waiting event.
    await waitForChain(f, other.id, 2);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // relay passes that must not unblock it
    const [{ n: waiting }] = await f.db.query<{ n: number }>(
      'select count(*)::int as n from audit.outbox where entity_id = $1',
      [account.id],
    );
    expect(waiting).toBe(2);
    expect((await f.trail(account.id)).map((e) => e.action)).toEqual(['CREATE']);
    expect((await deadLetters.list())[0].attempts).toBe(MAX_ATTEMPTS);

    const health = await f.app
      .get(HealthCheckService)
      .check([() => f.app.get(AuditHealthIndicator).check('audit')])
      .catch(
        (error: { response: { details: { audit: { problems: string[]; deadLetters: number } } } }) =>
          error.response,
      );
    expect(health.details.audit.deadLetters).toBe(1);
    expect(health.details.audit.problems).toContain(
      '1 event(s) could not be sealed and are parked as dead letters',
    );
    const metrics = await f.app.get(AuditMetrics).registry.metrics();
    expect(metrics).toMatch(/^audit_dead_letter_events 1$/m);
    expect(metrics).toMatch(/^audit_events_dead_lettered_total 1$/m);

    // The operator repairs the row (or deploys a fix) and retries: the chain is sealed in commit order.
    await f.db.query(`update audit.outbox set payload = $2 where id = $1`, [
      poisonId,
      { ...poison, actor: base.actor, occurredAt: new Date().toISOString(), action: 'REPAIRED' },
    ]);
    expect(await deadLetters.retry(poisonId)).toBe(true);
    expect(await deadLetters.retry(poisonId)).toBe(false);
    await waitForChain(f, account.id, 3);
    expect((await f.trail(account.id)).map((e) => e.action)).toEqual(['CREATE', 'REPAIRED', 'UPDATE']);
    expect((await f.audit.verifyTrail('Account', account.id)).valid).toBe(true);
    expect(await deadLetters.list()).toEqual([]);
    expect(parked).toHaveLength(1);
  });
});

/**
 * Jobs racing on one blocked entity (each event queues its own; the relay queues them again;
 * failed jobs are retried) while counting a failure is slow: here a session holds the poison
 * row's lock, so every attempt that fails meanwhile has to wait to be counted. Each is counted
 * once, one after another, against the poison event only, and it is parked once, at exactly
 * `maxAttempts`; an attempt that comes after the park finds the event parked and does not run.
 */
describe('failed attempts racing on one entity', () => {
  let f: FixtureApp;
  const parked: DeadLetter[] = [];
  beforeAll(async () => {
    f = await startWithDeadLetters(parked, { workerConcurrency: 8 });
  });
  afterAll(async () => f.close());

  it('counts each failed attempt once and parks the poison event once', async () => {
    const account = await f.accounts.open({ name: 'v0', email: 'r@x.test', tenantId: 'acme' });
    await waitForChain(f, account.id, 1);
    await insertPoison(f, account.id);
    const holder = new Client({ connectionString: f.db.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('select 1 from audit.outbox where id = $1 for update', [poisonId]);
      for (let i = 1; i <= 5; i++) await f.accounts.update(account.id, { name: `v${i}` });
      await waitFor(async () => {
        const [{ n }] = await f.db.query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity
           where datname = current_database() and wait_event_type = 'Lock'`,
        );
        return n >= 5;
      }, 'five sealing jobs waiting on the entity');
      await holder.query('commit');
    } finally {
      await holder.end();
    }

    await waitFor(
      async () => (await f.app.get(AuditDeadLetters).list()).length === 1,
      'the poison event parked',
    );
    const queue = f.app.get<Queue>(getQueueToken(AUDIT_QUEUE));
    await waitFor(async () => {
      const counts = await queue.getJobCounts('active', 'waiting', 'delayed', 'prioritized');
      return Object.values(counts).every((n) => n === 0);
    }, 'every sealing job settled');
    const rows = await f.db.query<{ id: string; attempts: number; parked: boolean }>(
      `select id, attempts, dead_lettered_at is not null as parked from audit.outbox
       where entity_id = $1 order by seq`,
      [account.id],
    );
    expect(rows).toEqual([
      { id: poisonId, attempts: MAX_ATTEMPTS, parked: true },
      ...Array.from({ length: 5 }, () => ({ id: expect.any(String), attempts: 0, parked: false })),
    ]);
    expect(parked).toHaveLength(1);
    const metrics = await f.app.get(AuditMetrics).registry.metrics();
    expect(metrics).toMatch(/^audit_events_dead_lettered_total 1$/m);
  });
});

/** The fixture app parking after MAX_ATTEMPTS quickly retried attempts, its alerts pushed to `parked`. */
function startWithDeadLetters(parked: DeadLetter[], audit: typeof AUDIT_OPTIONS_TYPE): Promise<FixtureApp> {
  return startFixtureApp({
    deadLetter: { maxAttempts: MAX_ATTEMPTS, onDeadLetter: (letter) => parked.push(letter) },
    jobBackoffMs: 20,
    ...audit,
  });
}

/** Writes a poison event to the entity's outbox: a payload with no actor and a garbled timestamp. */
async function insertPoison(f: FixtureApp, entityId: string) {
  const [valid] = await f.db.query<{ payload: Record<string, unknown> }>(
    `select to_jsonb(e) - 'global_seq' as payload from audit.events e where entity_id = $1`,
    [entityId],
  );
  const base = event(valid.payload);
  const poison = { ...base, id: poisonId, actor: null, occurredAt: 'yesterday-ish' };
  await f.db.query(
    `insert into audit.outbox (id, entity_type, entity_id, payload) values ($1, 'Account', $2, $3)`,
    [poisonId, entityId, poison],
  );
  return { base, poison };
}

/** An event payload rebuilt from a sealed row (the shape an outbox payload has). */
function event(row: Record<string, unknown>): Record<string, unknown> {
  return {
    occurredAt: row.occurred_at,
    actor: { type: row.actor_type, id: row.actor_id, display: row.actor_display },
    action: 'UPDATE',
    entityType: row.entity_type,
    entityId: row.entity_id,
    tenantId: row.tenant_id,
    module: row.module,
    transactionCode: row.transaction_code,
    before: null,
    after: null,
    changes: [],
    patch: [],
    source: row.source,
    metadata: {},
  };
}

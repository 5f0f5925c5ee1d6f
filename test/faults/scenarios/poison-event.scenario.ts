import { randomUUID } from 'node:crypto';
import { waitFor } from '../../support/wait-for';
import type { FaultScenario } from '../support/fault-scenario';

/**
 * A poison event: an outbox row no worker can seal (no actor, a garbled timestamp: what a buggy
 * producer might write) lands in one user's outbox among live writes. It is retried, then parked
 * as a dead letter with an alert (error log, metric, health down); policy BLOCK: that user's later
 * events wait behind it, every other user's are sealed. The operator then repairs the row and
 * unparks it (what AuditDeadLetters.retry does, done here in SQL); the relay picks the user up and
 * the chain is sealed in commit order, the repaired event first.
 */
export const poisonEvent: FaultScenario = {
  name: 'poison-event',
  timeoutMs: 240000,
  async run(ctx) {
    await ctx.startApp();
    const workers = await Promise.all([ctx.startWorker(), ctx.startWorker()]);
    const writers = await ctx.writers(4);
    await writers.burst(40, 8);
    const [victim] = writers.targets;
    const poisonId = randomUUID();
    await ctx.db.query(
      `insert into audit.outbox (id, entity_type, entity_id, payload)
       values ($1, 'User', $2, jsonb_build_object('id', $3::text, 'occurredAt', 'garbled', 'actor', null,
         'action', 'IMPORTED', 'entityType', 'User', 'entityId', $2::text))`,
      [poisonId, victim, poisonId],
    );
    await writers.burst(80, 8);

    const outboxOf = () =>
      ctx.db.query<{ entity_id: string; parked: boolean; attempts: number }>(
        'select entity_id, dead_lettered_at is not null as parked, attempts from audit.outbox',
      );
    await waitFor(
      async () => {
        const rows = await outboxOf();
        return rows.some((r) => r.parked) && rows.every((r) => r.entity_id === victim);
      },
      'the poison event parked and every other user sealed',
      90000,
      500,
    );
    const rows = await outboxOf();
    const blocked = rows.length - 1;
    expect(rows.filter((r) => r.parked)).toEqual([{ entity_id: victim, parked: true, attempts: 5 }]);
    expect(blocked).toBeGreaterThan(0);

    const health = await fetch(`${ctx.client.baseUrl}/health`);
    expect(health.status).toBe(503);
    expect(await health.text()).toContain('parked as dead letters');
    const metrics = await (await fetch(`${ctx.client.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^audit_dead_letter_events 1$/m);
    expect(workers.some((w) => w.output.tail().includes('AUDIT_DEAD_LETTER'))).toBe(true);

    await ctx.db.query(
      `update audit.outbox set dead_lettered_at = null, attempts = 0,
         payload = payload || jsonb_build_object('occurredAt', to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
           'actor', jsonb_build_object('type', 'SYSTEM', 'id', 'operator'))
       where id = $1`,
      [poisonId],
    );
    expect(await ctx.settle(60000)).toBe(true);
    const [{ seq, later }] = await ctx.db.query<{ seq: number; later: number }>(
      `select p.chain_seq::int as seq,
         (select count(*)::int from audit.events e where e.entity_id = p.entity_id and e.chain_seq > p.chain_seq) as later
       from audit.events p where p.id = $1`,
      [poisonId],
    );
    expect(later).toBeGreaterThanOrEqual(blocked);
    return {
      note: `parked after 5 attempts, ${blocked} later event(s) of its user blocked; repaired: chain_seq ${seq}`,
    };
  },
};

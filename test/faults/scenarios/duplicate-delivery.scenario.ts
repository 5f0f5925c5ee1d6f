import { waitFor } from '../../support/wait-for';
import type { FaultScenario } from '../support/fault-scenario';

/**
 * Every sealed event's job delivered again under new job ids (BullMQ's dedup by event id does not
 * apply): once, then twice at the same time, so that two workers seal the same event concurrently.
 * The job data is exactly what the app enqueues (SealJob).
 * Sealing is idempotent: every copy completes having sealed nothing.
 */
export const duplicateDelivery: FaultScenario = {
  name: 'duplicate-delivery',
  timeoutMs: 240000,
  async run(ctx) {
    await ctx.startApp();
    await Promise.all([ctx.startWorker(), ctx.startWorker()]);
    const writers = await ctx.writers(8);
    await writers.burst(120, 8);
    expect(await ctx.settle(60000)).toBe(true);

    const events = await ctx.db.query<{ id: string; entity_type: string; entity_id: string }>(
      'select id, entity_type, entity_id from audit.events where request_id = any($1::text[])',
      [ctx.ledger.ids('ok')],
    );
    const queue = ctx.queue();
    // Copies of every job under new ids, all added at once; resolves when every one has finished.
    const deliver = async (...copies: number[]) => {
      const added = await Promise.all(
        copies.map((copy) =>
          queue.addBulk(
            events.map((e) => ({
              name: 'seal',
              data: { events: [{ eventId: e.id, entityType: e.entity_type, entityId: e.entity_id }] },
              opts: { jobId: `duplicate-${copy}-${e.id}` },
            })),
          ),
        ),
      );
      const ids = added.flat().map((j) => j.id!);
      await waitFor(
        async () => {
          const states = await Promise.all(ids.map((id) => queue.getJobState(id)));
          return states.every((s) => s === 'completed' || s === 'failed');
        },
        `${ids.length} duplicate jobs to finish`,
        120000,
        500,
      );
      return Promise.all(ids.map(async (id) => (await queue.getJob(id))!));
    };
    const jobs = [...(await deliver(1)), ...(await deliver(2, 3))];
    const failed = jobs.filter((j) => j.failedReason).map((j) => `${j.id}: ${j.failedReason}`);
    const sealedByCopies = jobs.reduce((sum, j) => sum + Number(j.returnvalue ?? 0), 0);
    expect({ failed, sealedByCopies }).toEqual({ failed: [], sealedByCopies: 0 });
    return {
      note: `${jobs.length} duplicate jobs (once, then twice at once, ${events.length} events) sealed nothing`,
    };
  },
};

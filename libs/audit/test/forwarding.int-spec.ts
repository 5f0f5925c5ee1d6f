import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '../../../test/support/test-database';
import { clearQueuePrefix, uniqueQueuePrefix } from '../../../test/support/test-redis';
import { waitFor } from '../../../test/support/wait-for';
import {
  AuditMetrics,
  ForwardCursors,
  fromEcsDocument,
  NdjsonSink,
  WebhookSink,
  type AuditEventSink,
  type EcsDocument,
} from '../src';
import { startFixtureApp, type FixtureApp } from './fixtures/fixture-app';
import { forwardedAll, ndjsonDocuments, RecordingSink, sequences, storedEvents } from './fixtures/forwarding';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** `accounts` accounts opened and updated `updates` times each, all at once: 1 + updates events each. */
async function activity(f: FixtureApp, accounts: number, updates: number): Promise<void> {
  await Promise.all(
    range(1, accounts).map(async (i) => {
      const account = await f.accounts.open({ name: `a${i}`, email: `a${i}@x.test`, tenantId: 'acme' });
      for (let u = 1; u <= updates; u++) await f.accounts.update(account.id, { name: `a${i}.${u}` });
    }),
  );
}

async function metric(f: FixtureApp, name: string, sink: string): Promise<number> {
  const values = (await f.app.get(AuditMetrics).registry.getSingleMetric(name)!.get()).values;
  return values.find((v) => v.labels.sink === sink)?.value ?? 0;
}

/**
 * The sequences of a stream written across a restart: 1…k, then a resent tail from some j ≤ k,
 * on to n. Returns how many events came twice; fails on a gap, a reordering or a second restart.
 */
function resentAcrossOneRestart(seqs: number[], n: number): number {
  const restart = seqs.findIndex((s, i) => i > 0 && s !== seqs[i - 1] + 1);
  expect(restart).toBeGreaterThan(0);
  expect(seqs.slice(0, restart)).toEqual(range(1, seqs[restart - 1]));
  expect(seqs.slice(restart)).toEqual(range(seqs[restart], n));
  return seqs[restart - 1] - seqs[restart] + 1;
}

describe('live forwarding of sealed events', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'audit-forwarding-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('writes every sealed event once, in global order, to an NDJSON file: each line the stored event in ECS', async () => {
    const path = join(dir, 'nested', 'audit.ndjson');
    const f = await startFixtureApp({
      forwarding: { sinks: [new NdjsonSink({ name: 'file', dest: path })], batchSize: 7, intervalMs: 100 },
    });
    try {
      await activity(f, 4, 3);
      await f.sealed(16);
      const size = await forwardedAll(f, 'file');
      const docs = await ndjsonDocuments(path);
      expect(sequences(docs)).toEqual(range(1, size));
      expect(docs.map(fromEcsDocument)).toEqual(await storedEvents(f));
      expect(docs.every((d) => d.ecs.version && d.event.dataset === 'audit_ledger.events')).toBe(true);
      expect(await metric(f, 'audit_events_forwarded_total', 'file')).toBe(size);
      expect(await metric(f, 'audit_forward_lag_events', 'file')).toBe(0);
      expect(await f.app.get(ForwardCursors).lowest()).toBe(size);
    } finally {
      await f.close();
    }
  });

  it('resumes at its cursor after a restart: no gap, and only the unacknowledged batch again', async () => {
    const path = join(dir, 'restart.ndjson');
    const batchSize = 4;
    const file = new NdjsonSink({ name: 'file', dest: path });
    // Takes two batches, then writes the third and dies before acknowledging it (as a crash
    // between the write and the cursor's commit would), then is gone for good.
    let batches = 0;
    let unacknowledged = 0;
    const dying: AuditEventSink = {
      name: 'file',
      async send(documents) {
        if (++batches > 3) throw new Error('the process is going down');
        await file.send(documents);
        if (batches < 3) return;
        unacknowledged = documents.length;
        throw new Error('crashed before the cursor moved');
      },
      close: () => file.close(),
    };
    // One database and queue for both lives of the app.
    const shared = { db: await createTestDatabase(), queuePrefix: uniqueQueuePrefix() };
    const first = await startFixtureApp(
      { forwarding: { sinks: [dying], batchSize, intervalMs: 50 } },
      shared,
    );
    await activity(first, 3, 3);
    await first.sealed(12);
    const failures = () => metric(first, 'audit_forward_failures_total', 'file');
    await waitFor(async () => (await failures()) >= 2, 'the third batch to fail');
    await first.close();

    const second = await startFixtureApp(
      { forwarding: { sinks: [new NdjsonSink({ name: 'file', dest: path })], batchSize, intervalMs: 50 } },
      shared,
    );
    try {
      await activity(second, 2, 3);
      await second.sealed(20);
      const size = await forwardedAll(second, 'file');
      const seqs = sequences(await ndjsonDocuments(path));
      expect(unacknowledged).toBeGreaterThan(0);
      expect(unacknowledged).toBeLessThanOrEqual(batchSize);
      expect(resentAcrossOneRestart(seqs, size)).toBe(unacknowledged);
      expect(new Set(seqs).size).toBe(size);
    } finally {
      await second.close();
      await shared.db.drop();
      await clearQueuePrefix(shared.queuePrefix);
    }
  });

  describe('webhook', () => {
    let server: Server;
    let url: string;
    let answer: (n: number) => { status: number; headers?: Record<string, string> };
    let requests: { at: number; status: number; body: string; headers: IncomingMessage['headers'] }[];
    const delivered = () =>
      requests
        .filter((r) => r.status === 200)
        .flatMap((r) => r.body.split('\n').filter(Boolean))
        .map((line) => JSON.parse(line) as EcsDocument);

    beforeAll(async () => {
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const { status, headers } = answer(requests.length + 1);
          requests.push({
            at: Date.now(),
            status,
            body: Buffer.concat(chunks).toString(),
            headers: req.headers,
          });
          res.writeHead(status, headers).end(status === 200 ? 'ok' : 'not now');
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest`;
    });
    afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));
    beforeEach(() => (requests = []));

    it('retries 503 with backoff and 429 after its Retry-After, then delivers every event in order', async () => {
      answer = (n) =>
        n <= 2
          ? { status: 503 }
          : n === 3
            ? { status: 429, headers: { 'retry-after': '1' } }
            : { status: 200 };
      const sink = new WebhookSink({ name: 'siem', url, headers: { authorization: 'Bearer t0ken' } });
      const f = await startFixtureApp({
        forwarding: {
          sinks: [sink],
          batchSize: 5,
          intervalMs: 20,
          retry: { minDelayMs: 20, maxDelayMs: 200 },
        },
      });
      try {
        await activity(f, 3, 3);
        await f.sealed(12);
        const size = await forwardedAll(f, 'siem');
        expect(requests.slice(0, 4).map((r) => r.status)).toEqual([503, 503, 429, 200]);
        expect(requests[3].at - requests[2].at).toBeGreaterThanOrEqual(1000);
        // Every attempt started at the first event: nothing was skipped while refused.
        const firstOf = (body: string) => (JSON.parse(body.split('\n')[0]) as EcsDocument).event.sequence;
        expect(requests.slice(0, 4).map((r) => firstOf(r.body))).toEqual([1, 1, 1, 1]);
        expect(sequences(delivered())).toEqual(range(1, size));
        expect(delivered().map(fromEcsDocument)).toEqual(await storedEvents(f));
        expect(requests[0].headers['content-type']).toBe('application/x-ndjson');
        expect(requests[0].headers.authorization).toBe('Bearer t0ken');
        expect(await metric(f, 'audit_forward_failures_total', 'siem')).toBe(3);
      } finally {
        await f.close();
      }
    });

    it('recreates a deleted cursor at once while the sink is refused (archival then sees it waiting)', async () => {
      answer = () => ({ status: 401 });
      const f = await startFixtureApp({
        forwarding: {
          sinks: [new WebhookSink({ name: 'siem', url })],
          intervalMs: 20,
          // A long backoff: the row must not wait for the next attempt to come back.
          retry: { minDelayMs: 600_000, maxDelayMs: 600_000 },
        },
      });
      try {
        await activity(f, 1, 1);
        await f.sealed(2);
        await waitFor(async () => requests.length >= 1, 'a refused attempt');
        await f.db.tamper("delete from audit.forward_cursors where sink = 'siem'");
        const cursor = await waitFor(async () => {
          const rows = await f.db.query<{ cursor: string }>(
            `select global_seq as cursor from audit.forward_cursors where sink = 'siem'`,
          );
          return rows[0]?.cursor;
        }, 'the cursor row back');
        expect(cursor).toBe('0');
        // Still in its backoff: no attempt was made to bring the row back.
        expect(requests).toHaveLength(1);
      } finally {
        await f.close();
      }
    });

    it('keeps retrying a refused batch slowly, skipping nothing, until the receiver takes it', async () => {
      let accept = false;
      answer = () => (accept ? { status: 200 } : { status: 401 });
      const maxDelayMs = 150;
      const f = await startFixtureApp({
        forwarding: {
          sinks: [new WebhookSink({ name: 'siem', url })],
          intervalMs: 10,
          retry: { minDelayMs: 10, maxDelayMs },
        },
      });
      try {
        await activity(f, 2, 1);
        await f.sealed(4);
        await waitFor(async () => requests.length >= 3, 'three refused attempts');
        const refused = requests.filter((r) => r.status === 401);
        for (let i = 1; i < refused.length; i++)
          expect(refused[i].at - refused[i - 1].at).toBeGreaterThanOrEqual(maxDelayMs);
        const [{ cursor }] = await f.db.query<{ cursor: string }>(
          `select global_seq as cursor from audit.forward_cursors where sink = 'siem'`,
        );
        expect(cursor).toBe('0');
        accept = true;
        const size = await forwardedAll(f, 'siem');
        expect(sequences(delivered())).toEqual(range(1, size));
      } finally {
        await f.close();
      }
    });
  });

  it('lets one worker at a time forward a sink: two workers deliver each event once, in order', async () => {
    const received: EcsDocument[][] = [];
    // Each worker's own instance under one name; slow enough that the other worker tries the sink
    // while one holds it (without the cursor lock, this test receives batches twice).
    const options = () => ({
      forwarding: {
        sinks: [new RecordingSink('shared', received, () => new Promise((r) => setTimeout(r, 15)))],
        batchSize: 3,
        intervalMs: 10,
      },
    });
    const one = await startFixtureApp(options());
    const two = await startFixtureApp(options(), { db: one.db, queuePrefix: one.queuePrefix });
    try {
      await Promise.all([activity(one, 4, 3), activity(two, 4, 3)]);
      await one.sealed(32);
      const size = await forwardedAll(one, 'shared');
      expect(sequences(received.flat())).toEqual(range(1, size));
    } finally {
      await two.close();
      await one.close();
    }
  });

  describe('on a store with history', () => {
    let writer: FixtureApp;
    beforeAll(async () => {
      writer = await startFixtureApp();
      await activity(writer, 2, 2);
      await writer.sealed(6);
    });
    afterAll(async () => writer.close());

    it('steps over an archived range of global_seq (logged as a gap) instead of stalling', async () => {
      await writer.db.tamper('delete from audit.events where global_seq in (3, 4)');
      const received: EcsDocument[][] = [];
      const f = await startFixtureApp(
        {
          forwarding: { sinks: [new RecordingSink('after-archive', received)], batchSize: 2, intervalMs: 20 },
        },
        { db: writer.db, queuePrefix: writer.queuePrefix },
      );
      try {
        const size = await forwardedAll(f, 'after-archive');
        expect(sequences(received.flat())).toEqual(range(1, size).filter((s) => s !== 3 && s !== 4));
        expect(await f.app.get(ForwardCursors).lowest()).toBe(size);
      } finally {
        await f.close();
      }
    });

    it("starts a new sink at the log's end with startAt 'now'", async () => {
      const received: EcsDocument[][] = [];
      const f = await startFixtureApp(
        {
          forwarding: { sinks: [new RecordingSink('late', received)], startAt: 'now', intervalMs: 20 },
        },
        { db: writer.db, queuePrefix: writer.queuePrefix },
      );
      try {
        const [{ start }] = await f.db.query<{ start: string }>(
          `select global_seq as start from audit.forward_cursors where sink = 'late'`,
        );
        await activity(f, 1, 0);
        const size = await forwardedAll(f, 'late');
        expect(sequences(received.flat())).toEqual(range(Number(start) + 1, size));
        expect(received.flat().map((d) => d.event.action)).toContain('CREATE');
      } finally {
        await f.close();
      }
    });
  });
});

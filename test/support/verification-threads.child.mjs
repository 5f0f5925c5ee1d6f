// Run by test/verification-threads.e2e-spec.ts as its own process, against the built library:
// hash verdicts of event rows in the verification threads against the same in this thread.
import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';
import process from 'node:process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const __dirname = dirname(fileURLToPath(import.meta.url));

const dist = join(__dirname, '..', '..', 'libs', 'audit', 'dist');
const { EventHashPool } = require(join(dist, 'verification', 'event-hash.pool.js'));
const { hashVerdictsOf } = require(join(dist, 'verification', 'hash-verdicts.js'));
const { eventHash, EVENT_HASH_ALG } = require(join(dist, 'crypto', 'event-hash.js'));
const { EVENT_COLUMNS, eventRowOfJson, recordedFields } = require(
  join(dist, 'storage', 'sealed-event.mapper.js'),
);

const text = (row) => JSON.stringify(EVENT_COLUMNS.map((c) => row[c]));

/** `n` rows as EVENT_JSON writes them (arrays in EVENT_COLUMNS order): honest, but every 7th with another actor, every 11th of an unknown algorithm, every 13th not JSON. */
function rows(n) {
  const out = [];
  let prev = Buffer.alloc(32);
  for (let i = 1; i <= n; i++) {
    const row = {
      id: `e${i}`,
      entity_type: 'User',
      entity_id: 'u1',
      chain_seq: i,
      global_seq: i,
      hash_alg: EVENT_HASH_ALG,
      prev_hash: prev.toString('hex'),
      hash: '',
      tenant_id: null,
      action: 'UPDATE',
      actor_type: 'USER',
      actor_id: 'alice',
      actor_display: null,
      module: null,
      transaction_code: null,
      occurred_at: '2026-11-22T10:00:00.123+00:00',
      recorded_at: '2026-11-22T10:00:01+00:00',
      before: { n: i - 1 },
      after: { n: i },
      changes: [{ field: 'n', before: i - 1, after: i }],
      patch: [{ op: 'replace', path: '/n', value: i }],
      source: {},
      metadata: {},
      batch_tree_size: i,
      key_id: 'k1',
      key_set_id: 'default',
      operation_id: null,
      origin: 'ASSERTED',
      database_facts: null,
    };
    const hash = eventHash(recordedFields(eventRowOfJson(text(row))), i, prev, EVENT_HASH_ALG);
    row.hash = hash.toString('hex');
    prev = hash;
    if (i % 7 === 0) row.actor_id = 'mallory';
    if (i % 11 === 0) row.hash_alg = 'md5';
    out.push(i % 13 === 0 ? `${text(row)}garbage` : text(row));
  }
  return out;
}

async function main() {
  const bodies = rows(3000);
  const expected = Array.from(hashVerdictsOf(bodies));
  const same = (verdicts) => Array.from(verdicts).every((v, i) => v === expected[i]);
  const pool = new EventHashPool({ verificationThreads: 2 });
  const pooled = await pool.verdicts(bodies);
  const shared = await pool.verdicts(bodies, true);
  const threads = pool.threads.length;

  // A thread that dies while it holds rows: they are hashed here instead.
  const fragile = new EventHashPool({ verificationThreads: 1 });
  await fragile.verdicts(bodies.slice(0, 500));
  const pending = fragile.verdicts(bodies);
  await fragile.threads[0].worker.terminate();
  const afterCrash = await pending;
  const afterCrashAgain = await fragile.verdicts(bodies);

  const none = new EventHashPool({ verificationThreads: 0 });
  const inThread = await none.verdicts(bodies);

  // NOTE: no onModuleDestroy: idle threads must not keep this process alive.
  process.stdout.write(
    JSON.stringify({
      counts: [0, 1, 2, 3].map((v) => expected.filter((x) => x === v).length),
      threads,
      pooled: same(pooled),
      shared: same(shared),
      afterCrash: same(afterCrash),
      afterCrashAgain: same(afterCrashAgain),
      threadsAfterCrash: fragile.threads.length,
      inThread: same(inThread),
      threadsOfNone: none.threads.length,
    }),
  );
}

main().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});

// Run by test/verification-threads.e2e-spec.ts as its own process, against the built library:
// hash verdicts of log rows in the verification threads against the same in this thread.
import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';
import process from 'node:process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const __dirname = dirname(fileURLToPath(import.meta.url));

const dist = join(__dirname, '..', '..', 'libs', 'audit', 'dist');
const { EventHashPool } = require(join(dist, 'verification', 'event-hash.pool.js'));
const { hashBodyOf, hashVerdictsOf } = require(join(dist, 'verification', 'hash-verdicts.js'));
const { eventHash, EVENT_HASH_ALG } = require(join(dist, 'crypto', 'event-hash.js'));
const { recordedFields } = require(join(dist, 'storage', 'sealed-event.mapper.js'));

const JSONB = ['before', 'after', 'changes', 'patch', 'source', 'metadata', 'database_facts'];

/** `n` hash bodies of one chain: honest, but every 7th with another actor, every 11th of an unknown algorithm, every 13th not JSON. */
function bodies(n) {
  const out = [];
  let prev = Buffer.alloc(32);
  for (let i = 1; i <= n; i++) {
    // Null columns left out: the mapper reads a missing one as null.
    const row = {
      id: `e${i}`,
      entity_type: 'User',
      entity_id: 'u1',
      chain_seq: String(i),
      global_seq: String(i),
      hash_alg: EVENT_HASH_ALG,
      prev_hash: prev,
      hash: Buffer.alloc(32),
      action: 'UPDATE',
      actor_type: 'USER',
      actor_id: 'alice',
      occurred_at: '2026-11-22 10:00:00.123+00',
      before: { n: i - 1 },
      after: { n: i },
      changes: [{ field: 'n', before: i - 1, after: i }],
      patch: [{ op: 'replace', path: '/n', value: i }],
      source: {},
      metadata: {},
      batch_tree_size: String(i),
      key_id: 'k1',
      origin: 'ASSERTED',
    };
    row.hash = eventHash(recordedFields(row), i, prev, EVENT_HASH_ALG);
    prev = row.hash;
    // As a log page holds it: jsonb as PostgreSQL's text of it.
    for (const c of JSONB) row[c] = row[c] === undefined ? null : JSON.stringify(row[c]);
    if (i % 7 === 0) row.actor_id = 'mallory';
    if (i % 11 === 0) row.hash_alg = 'md5';
    out.push(i % 13 === 0 ? `${hashBodyOf(row)}garbage` : hashBodyOf(row));
  }
  return out;
}

async function main() {
  const all = bodies(3000);
  const expected = Array.from(hashVerdictsOf(all));
  const same = (verdicts) => Array.from(verdicts).every((v, i) => v === expected[i]);
  const pool = new EventHashPool({ verificationThreads: 2 });
  const pooled = await pool.verdicts(all);
  const threads = pool.threads.length;
  // What the running thread's engine was given (Node reports the limits in force).
  const limits = pool.threads[0]?.worker.resourceLimits ?? null;

  // A thread that dies while it holds rows: they are hashed here instead.
  const fragile = new EventHashPool({ verificationThreads: 1 });
  await fragile.verdicts(all.slice(0, 500));
  const pending = fragile.verdicts(all);
  await fragile.threads[0].worker.terminate();
  const afterCrash = await pending;
  const afterCrashAgain = await fragile.verdicts(all);

  const none = new EventHashPool({ verificationThreads: 0 });
  const inThread = await none.verdicts(all);

  // NOTE: no onModuleDestroy: idle threads must not keep this process alive.
  process.stdout.write(
    JSON.stringify({
      counts: [0, 1, 2, 3].map((v) => expected.filter((x) => x === v).length),
      threads,
      limits,
      pooled: same(pooled),
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

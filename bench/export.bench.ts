import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { Figure } from './figure';
import { withSealedBacklog } from './sealed-store';

// `npx audit-ledger`, as `npm run bench` has just built it.
const CLI = join(__dirname, '..', 'libs', 'audit', 'src', 'cli', 'main.js');
const PAGE = 2000;
const SAMPLE_MS = 25;
// The CLI streams: a bundle of 5x the events may not need more than 1.2x the peak memory.
const MEMORY_RATIO_TARGET = 1.2;
// Memory runs cap V8's heap, so the peak shows what is live rather than how lazily V8 collects
// (uncapped, it lets the heap grow with the allocation rate: +40 % RSS for 5x the events, yet
// 100,000 events export within a 64 MB heap).
const HEAP_CAP = ['--max-old-space-size=96'];

interface CliRun {
  seconds: number;
  /** Peak resident set of the CLI process (VmHWM), MB. */
  peakMb: number;
  doc: { manifest?: { events: { count: number } }; valid?: boolean };
}

/** Runs the built CLI with `--json`, sampling its peak resident memory from /proc until it exits. */
function runCli(args: string[], env: Record<string, string>, nodeFlags: string[] = []): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, [...nodeFlags, CLI, '--json', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let peakKb = 0;
    const sample = () => {
      try {
        const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
      } catch {
        // NOTE: the process has exited between two samples; VmHWM only grows, the last one stands.
      }
    };
    const timer = setInterval(sample, SAMPLE_MS);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      clearInterval(timer);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (code !== 0) reject(new Error(`audit-ledger ${args.join(' ')}: exit ${code}\n${stderr}`));
      else resolve({ seconds, peakMb: peakKb / 1024, doc: JSON.parse(stdout) as CliRun['doc'] });
    });
  });
}

/** Baseline: the same rows read with plain paged SQL (no mapping, hashing or writing), seconds. */
async function plainRead(url: string): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const start = process.hrtime.bigint();
    for (let after = 0; ;) {
      const { rows } = await client.query<{ global_seq: string }>(
        'select * from audit.events where global_seq > $1 order by global_seq limit $2',
        [after, PAGE],
      );
      if (rows.length === 0) break;
      after = Number(rows[rows.length - 1].global_seq);
    }
    return Number(process.hrtime.bigint() - start) / 1e9;
  } finally {
    await client.end();
  }
}

/**
 * Export and offline verification at scale, through the built CLI (what an operator runs): a
 * store of BENCH_EXPORT_EVENTS sealed events (default 100,000, over a tenth as many records),
 * `audit-ledger export --gzip` of about a fifth of them and of all, then `verify --bundle` of
 * each with the witness's keys. Figures: export and verification rates against the same rows read
 * with plain paged SQL in this process; the CLI's peak resident memory, with V8's heap capped,
 * for all events against a fifth of them (the claim: it streams, so memory does not grow with
 * the bundle).
 */
export async function exportAtScale(): Promise<Figure[]> {
  const total = Number(process.env.BENCH_EXPORT_EVENTS ?? 100_000);
  return withSealedBacklog({ total, entities: total / 10, workers: 1 }, async ({ url, env }) => {
    const dir = await mkdtemp(join(tmpdir(), 'audit-bench-export-'));
    try {
      const client = new Client({ connectionString: url });
      await client.connect();
      const { rows } = await client.query<{ at: Date }>(
        'select recorded_at as at from audit.events where global_seq = $1',
        [Math.floor(total / 5)],
      );
      await client.end();
      type Runs = { exported: CliRun; verified: CliRun };
      const keys = join(env.AUDIT_WITNESS_DIR, 'keys.json');
      const exportAndVerify = async (name: string, to: string, flags: string[]): Promise<Runs> => {
        const out = join(dir, name);
        const exported = await runCli(
          ['export', '--from', '2000-01-01', '--to', to, '--gzip', '--out', out],
          env,
          flags,
        );
        const verified = await runCli(['verify', '--bundle', out, '--keys', keys], env, flags);
        if (verified.doc.valid !== true) throw new Error(`the ${name} bundle did not verify`);
        return { exported, verified };
      };
      const everything = '2100-01-01T00:00:00Z';
      const runs = {
        all: await exportAndVerify('all', everything, []),
        cappedFifth: await exportAndVerify('capped-fifth', rows[0].at.toISOString(), HEAP_CAP),
        cappedAll: await exportAndVerify('capped-all', everything, HEAP_CAP),
      };
      const read = await plainRead(url);
      const events = (run: CliRun) => run.doc.manifest?.events.count ?? 0;
      const all = events(runs.all.exported);
      const fifth = events(runs.cappedFifth.exported);
      const rate = (seconds: number) => all / seconds;
      const memory = (what: string, big: CliRun, small: CliRun): Figure => ({
        name: `${what}: peak memory (heap capped at 96 MB), ${all.toLocaleString('en')} vs ${fifth.toLocaleString('en')} events`,
        value: big.peakMb,
        unit: 'MB',
        baseline: small.peakMb,
        ratio: big.peakMb / small.peakMb,
        target: MEMORY_RATIO_TARGET,
        targetOf: 'ratio',
        met: big.peakMb / small.peakMb < MEMORY_RATIO_TARGET,
      });
      return [
        {
          name: `plain paged SQL read of the ${all.toLocaleString('en')} rows (baseline)`,
          value: rate(read),
          unit: 'events/s',
          baseline: rate(read),
          ratio: 1,
          target: null,
          better: 'higher',
          met: null,
        },
        ...(['exported', 'verified'] as const).map((step) => ({
          name:
            step === 'exported'
              ? 'audit-ledger export --gzip (whole CLI run)'
              : 'audit-ledger verify --bundle (offline)',
          value: rate(runs.all[step].seconds),
          unit: 'events/s',
          baseline: rate(read),
          ratio: rate(runs.all[step].seconds) / rate(read),
          target: null,
          better: 'higher' as const,
          met: null,
        })),
        memory('export', runs.cappedAll.exported, runs.cappedFifth.exported),
        memory('verify --bundle', runs.cappedAll.verified, runs.cappedFifth.verified),
      ];
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

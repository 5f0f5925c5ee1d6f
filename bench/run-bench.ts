import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { bulk } from './bulk.bench';
import type { BenchOptions, Figure } from './figure';
import { latency } from './latency.bench';
import { sealing } from './sealing.bench';
import { volume } from './volume.bench';
import { writePath } from './write-path.bench';

type Scenario = (options: BenchOptions) => Figure[] | Promise<Figure[]>;

// In the issues' order: the write path, bulk statements (#14), sealing, end-to-end latency, then
// the store at volume.
const SCENARIOS: Record<string, Scenario> = {
  'write-path': writePath,
  bulk,
  sealing,
  latency,
  volume,
};

/** BENCH_ONLY (a comma-separated list of scenario names) picks scenarios; default: every one. */
function chosenScenarios(only = process.env.BENCH_ONLY): string[] {
  if (!only) return Object.keys(SCENARIOS);
  const names = only.split(',').map((n) => n.trim());
  const unknown = names.filter((n) => !(n in SCENARIOS));
  if (unknown.length > 0) {
    throw new Error(
      `BENCH_ONLY: unknown scenario ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}`,
    );
  }
  return names;
}

function targetText(f: Figure): string {
  if (f.target === null) return '-';
  const bound = `${f.better === 'higher' ? '>=' : '<='} ${f.target}`;
  return f.targetOf === 'ratio' ? `ratio ${bound}` : `${bound} ${f.unit}`;
}

const number = (n: number) =>
  n.toLocaleString('en', { maximumFractionDigits: Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 1 ? 1 : 3 });

/** The `--json` document: one entry per figure that has a target. */
function jsonFigures(figures: Figure[]) {
  return figures
    .filter((f) => f.target !== null)
    .map(({ name, value, unit, baseline, ratio, target, met }) => ({
      name,
      value,
      unit,
      baseline,
      ratio,
      target,
      met,
    }));
}

/** `npm run bench [-- --quick] [-- --json <file>]`: every scenario, each figure against its same-run baseline. */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const options: BenchOptions = { quick: args.includes('--quick') };
  const names = chosenScenarios();
  const started = Date.now();
  console.log(
    `${new Date().toISOString()}; ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ` +
      `${Math.round(totalmem() / 2 ** 30)} GiB; ${options.quick ? 'quick run' : 'full run'}; ` +
      `scenarios: ${names.join(', ')}`,
  );
  const figures: Figure[] = [];
  for (const name of names) {
    const at = Date.now();
    figures.push(...(await SCENARIOS[name](options)));
    console.log(`${name}: ${((Date.now() - at) / 1000).toFixed(0)} s`);
  }
  console.table(
    figures.map((f) => ({
      figure: f.name,
      value: `${number(f.value)} ${f.unit}`,
      baseline: `${number(f.baseline)} ${f.unit}`,
      ratio: f.ratio.toFixed(2),
      target: targetText(f),
      met: f.met ?? '-',
    })),
  );
  console.log(`total: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const json = args.indexOf('--json');
  if (json >= 0) {
    const file = args[json + 1];
    if (!file) throw new Error('--json needs a file name');
    writeFileSync(file, JSON.stringify(jsonFigures(figures), null, 2));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { exportAtScale } from './export.bench';
import type { Figure } from './figure';
import { queryVolume } from './query-volume.bench';
import { sealingScaleOut } from './sealing-scale-out.bench';
import { trailVerification } from './trail-verification.bench';

const SCENARIOS: Record<string, () => Figure[] | Promise<Figure[]>> = {
  'trail-verification': trailVerification,
  'query-volume': queryVolume,
  'scale-out': sealingScaleOut,
  export: exportAtScale,
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
  const bound = `${f.better === 'higher' ? '>=' : '<'} ${f.target}`;
  return f.targetOf === 'ratio' ? `ratio ${bound}` : `${bound} ${f.unit}`;
}

/** `npm run bench [-- --json <file>]`: the scenarios, a table of figures against their same-run baselines. */
async function main(): Promise<void> {
  const names = chosenScenarios();
  console.log(`cores: ${availableParallelism()}; scenarios: ${names.join(', ')}`);
  const figures: Figure[] = [];
  for (const name of names) figures.push(...(await SCENARIOS[name]()));
  console.table(
    figures.map((f) => ({
      figure: f.name,
      value: `${f.value.toFixed(3)} ${f.unit}`,
      baseline: `${f.baseline.toFixed(3)} ${f.unit}`,
      ratio: f.ratio.toFixed(2),
      target: targetText(f),
      met: f.met ?? '-',
    })),
  );
  const json = process.argv.indexOf('--json');
  if (json > 0) writeFileSync(process.argv[json + 1], JSON.stringify(figures, null, 2));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

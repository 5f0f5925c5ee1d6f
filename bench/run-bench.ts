import { writeFileSync } from 'node:fs';
import type { Figure } from './figure';
import { queryVolume } from './query-volume.bench';
import { trailVerification } from './trail-verification.bench';

/** `npm run bench [-- --json <file>]`: every scenario, a table of figures against their same-run baselines. */
async function main(): Promise<void> {
  const figures: Figure[] = [...trailVerification(), ...(await queryVolume())];
  console.table(
    figures.map((f) => ({
      figure: f.name,
      value: `${f.value.toFixed(3)} ${f.unit}`,
      baseline: `${f.baseline.toFixed(3)} ${f.unit}`,
      ratio: f.ratio.toFixed(2),
      target: `< ${f.target} ${f.unit}`,
      met: f.met,
    })),
  );
  const json = process.argv.indexOf('--json');
  if (json > 0) writeFileSync(process.argv[json + 1], JSON.stringify(figures, null, 2));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandContext } from '../cli-runtime';
import { CliError } from '../cli.error';
import { EXIT, type ExitCode } from '../exit-codes';
import { checkSegmentChain, type SegmentReport } from './segment-chain';

const row = (label: string, value: string) => `  ${label.padEnd(20)} ${value}`;

/**
 * Offline verification (no database): one bundle, or a directory of archive segments, each a
 * bundle, checked in log order and against each other (each segment starts where the previous
 * ended and names its manifest's hash).
 */
export async function verifyBundles(
  ctx: CommandContext,
  dir: string,
  keysFile: string | undefined,
): Promise<ExitCode> {
  const [{ DirectoryBundleStore }, { verifyBundle }, { parsePublishedKeys }] = await Promise.all([
    import('../../export/bundle-store.js'),
    import('../../verification/bundle-verifier.js'),
    import('../../keys/published-keys.js'),
  ]);
  let trustedKeys;
  if (keysFile) {
    try {
      trustedKeys = parsePublishedKeys(await readFile(keysFile, 'utf8'));
    } catch (error) {
      throw CliError.usage(`--keys ${keysFile}: not a published keys file (${(error as Error).message})`);
    }
  } else {
    ctx.output.note(
      "audit-ledger: no --keys given: trusting the bundle's own keys.json (this proves the bundle is consistent, not who made it)",
    );
  }
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => {
    throw CliError.usage(`--bundle ${dir}: no such directory`);
  });
  const single = entries.some((e) => e.name === 'manifest.json');
  const bundles = single ? [dir] : entries.filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
  if (bundles.length === 0)
    throw CliError.usage(`--bundle ${dir}: holds no manifest.json and no segment directories`);

  const reports: SegmentReport[] = [];
  for (const bundle of bundles) {
    const progress = ctx.output.progress(`verify ${bundle}`, 'leaves');
    const report = await verifyBundle(new DirectoryBundleStore(bundle), {
      trustedKeys,
      onProgress: (done, total) => progress.update(done, total),
    }).finally(() => progress.stop());
    reports.push({ bundle, ...report });
  }
  // A directory of segments is the whole archive: it must chain from the log's first leaf.
  if (!single) checkSegmentChain(reports);
  const valid = reports.every((r) => r.valid);
  const lines = [`Bundle verification (offline): ${valid ? 'OK' : 'FAILED'}`];
  for (const r of reports) {
    lines.push(
      `${r.bundle} (${r.kind ?? 'unreadable'}): ${r.valid ? 'OK' : 'FAILED'}`,
      row('leaves', `${r.leavesFrom + 1}..${r.treeSize}`),
      row('events checked', String(r.checkedEvents)),
      row('signed statements', String(r.checkedProofs)),
      row('manifest sha256', r.manifestSha256 ?? '-'),
      ...r.failures.map(
        (f) =>
          `  ${f.reason}${f.file ? ` in ${f.file}` : ''}${f.globalSeq === null ? '' : ` at global_seq ${f.globalSeq}`}${f.eventId ? ` (event ${f.eventId})` : ''}: ${f.detail}`,
      ),
    );
  }
  const first = reports.flatMap((r) => r.failures.map((f) => ({ bundle: r.bundle, ...f })))[0];
  if (first)
    ctx.output.note(
      `audit-ledger: verification failed: ${first.reason}${first.file ? ` in ${first.file}` : ''}${first.globalSeq === null ? '' : ` at global_seq ${first.globalSeq}`}: ${first.detail}`,
    );
  ctx.output.result({ valid, keysFromBundle: !keysFile, bundles: reports }, lines);
  return valid ? EXIT.OK : EXIT.FAILED;
}

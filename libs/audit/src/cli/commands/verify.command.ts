import type { LogFailure, LogVerification } from '../../verification/log-verification';
import type { CliCommand } from '../cli-command';
import { CliError } from '../cli.error';
import { EXIT } from '../exit-codes';
import { verifyBundles } from './verify-bundle';

/** The failure the operator should look at first: the one at the lowest global_seq (else the first reported). */
function firstBad(failures: LogFailure[]): LogFailure | null {
  const located = failures.filter((f) => f.globalSeq !== null);
  if (located.length === 0) return failures[0] ?? null;
  return located.reduce((a, b) => (b.globalSeq! < a.globalSeq! ? b : a));
}

const where = (f: LogFailure) => (f.globalSeq === null ? '' : ` at global_seq ${f.globalSeq}`);

const row = (label: string, value: string) => `  ${label.padEnd(20)} ${value}`;

function summary(report: LogVerification, durationMs: number): string[] {
  return [
    row('tree size', `${report.treeSize} events`),
    row('witnessed size', String(report.witnessedSize)),
    row('events checked', `${report.checkedEvents}${report.fromSize ? ` (after ${report.fromSize})` : ''}`),
    row('checkpoints checked', String(report.checkedCheckpoints)),
    row('duration', `${durationMs} ms`),
  ];
}

/**
 * `verify`: the whole log (or, with --incremental, its new part) against the witness's latest
 * checkpoint, with LogVerifier. Exit 1 on any failure, naming the reason and the first bad event.
 */
export const verifyCommand: CliCommand = (program, cli) => {
  program
    .command('verify')
    .summary("verify the store against the witness's latest checkpoint")
    .description(
      "Verify the store against the witness's latest checkpoint: every event's chain link, batch " +
        'statement and Merkle leaf, every checkpoint signature, the heads map and the signing keys.',
    )
    .option(
      '--bundle <dir>',
      'verify an export bundle or a directory of archive segments offline (no database)',
    )
    .option('--keys <file>', "with --bundle: the published keys to trust (the witness's keys.json)")
    .option(
      '--incremental',
      'only check the events after the last successful run (a full run when there is none)',
    )
    .addHelpText(
      'after',
      '\nPrints a summary; on failure also the reason and the first bad event (global_seq, id), and exits 1.\n' +
        'With --bundle it reads only the bundle directory (export or archive segments) and --keys: no database.',
    )
    .action(
      cli.action<[{ incremental?: boolean; bundle?: string; keys?: string }]>(async (ctx, options) => {
        if (options.keys && !options.bundle) throw CliError.usage('--keys goes with --bundle');
        if (options.bundle) return verifyBundles(ctx, options.bundle, options.keys);
        const app = await ctx.app();
        const [{ MikroORM }, { LogVerifier }, { eventIdAt }, { sqlOf }] = await Promise.all([
          import('@mikro-orm/core'),
          import('../../verification/log.verifier.js'),
          import('../../storage/status.store.js'),
          import('../../storage/sql-session.js'),
        ]);
        const progress = ctx.output.progress('verify', 'events');
        const started = Date.now();
        const report = await app
          .get(LogVerifier)
          .verify(options.incremental ? 'INCREMENTAL' : 'FULL', {
            onProgress: (checked, total) => progress.update(checked, total),
          })
          .finally(() => progress.stop());
        const durationMs = Date.now() - started;
        const bad = firstBad(report.failures);
        const firstBadEvent = bad && {
          ...bad,
          eventId: bad.globalSeq === null ? null : await eventIdAt(sqlOf(app.get(MikroORM)), bad.globalSeq),
        };
        const lines = [
          `Log verification (${report.mode}): ${report.valid ? 'OK' : 'FAILED'}`,
          ...summary(report, durationMs),
        ];
        if (firstBadEvent) {
          const { globalSeq, eventId } = firstBadEvent;
          lines.push(
            row('first bad event', `global_seq ${globalSeq ?? '-'}${eventId ? ` (event ${eventId})` : ''}`),
            `Failures (${report.failures.length}):`,
            ...report.failures.map((f) => `  ${f.reason}${where(f)}: ${f.detail}`),
          );
          ctx.output.note(
            `audit-ledger: verification failed: ${firstBadEvent.reason}${where(firstBadEvent)}: ${firstBadEvent.detail}`,
          );
        }
        ctx.output.result({ ...report, durationMs, firstBad: firstBadEvent }, lines);
        return report.valid ? EXIT.OK : EXIT.FAILED;
      }),
    );
};

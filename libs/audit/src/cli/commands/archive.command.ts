import type { CliCommand } from '../cli-command';
import { EXIT } from '../exit-codes';
import { archiveReportLines } from './archive-report';
import { isoDate } from './cli-dates';

/**
 * `archive --before <date>`: moves every closed month before the date out of the live store,
 * oldest first, as far as the retention policy allows (see `retention`). Each month becomes a
 * verified segment in the archive sink before its partition is dropped; each is an audit event.
 */
export const archiveCommand: CliCommand = (program, cli) => {
  program
    .command('archive')
    .summary('move closed months before a date to verified archive segments')
    .description(
      'Archive every closed month before --before, oldest first: write it to the archive sink as a ' +
        'sealed bundle (AUDIT_ARCHIVE_DIR), read it back and verify it, then record the cut and drop ' +
        'the month from the live store. Stops at the first month the retention policy, a legal hold ' +
        'or the log state does not release (exit 3, with the reasons).',
    )
    .requiredOption('--before <date>', 'archive months that end on or before this date (ISO-8601)')
    .option('--dry-run', 'only report what would be archived and what is kept, and why')
    .action(
      cli.action<[{ before: string; dryRun?: boolean }]>(async (ctx, options) => {
        const before = new Date(isoDate(options.before, '--before'));
        const app = await ctx.app();
        const { AuditArchiver } = await import('../../archive/audit-archiver.service.js');
        const progress = ctx.output.progress('archive', 'rows');
        const report = await ctx
          .asOperator(() =>
            app.get(AuditArchiver).archive(before, {
              dryRun: options.dryRun === true,
              onProgress: (done, total) => progress.update(done, total),
            }),
          )
          .finally(() => progress.stop());
        ctx.output.result(report, archiveReportLines(report));
        if (report.refused) {
          ctx.output.note(
            `audit-ledger: ${report.refused.partition} is kept: ${report.refused.blockers.join('; ')}`,
          );
          return EXIT.REFUSED;
        }
        return EXIT.OK;
      }),
    );
};

import { readdir } from 'node:fs/promises';
import type { CliCommand } from '../cli-command';
import { CliError } from '../cli.error';
import { isoDate } from './cli-dates';

interface ExportOptions {
  from: string;
  to: string;
  entityType?: string;
  tenant?: string;
  format: string;
  gzip?: boolean;
  out?: string;
}

/**
 * A bundle is the whole directory: files another export left there would sit beside the new
 * bundle's (the verifier flags them as FILE_UNLISTED). So the directory must be new or empty.
 */
async function refuseUsedDirectory(out: string): Promise<void> {
  const entries = await readdir(out).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    if (error.code === 'ENOTDIR') throw CliError.refused(`--out ${out} is a file, not a directory`);
    throw error;
  });
  if (entries.length > 0) {
    throw CliError.refused(
      `--out ${out} is not empty (${entries.length} entries): export into a new or empty directory`,
    );
  }
}

/**
 * `export`: a bundle of the events sealed in [from, to) — ECS NDJSON or CSV, every leaf hash of
 * the range, the signed statements over it, the published keys and a sealed manifest — that
 * `verify --bundle` checks offline. Streams in pages: memory stays flat for millions of events.
 * The export itself is audited (who took which events out).
 */
export const exportCommand: CliCommand = (program, cli) => {
  program
    .command('export')
    .summary('write an export bundle (ECS NDJSON or CSV) that verifies offline')
    .description(
      'Write the events sealed in [--from, --to) to a bundle directory: the events as Elastic Common ' +
        'Schema NDJSON or CSV, every leaf hash of the range, the signed batch statements and checkpoints ' +
        'over it, the published keys and a manifest sealed with the log key. `verify --bundle` checks it ' +
        'with public keys only.',
    )
    .requiredOption('--from <date>', 'first sealing time included (ISO-8601)')
    .requiredOption('--to <date>', 'sealing time excluded (ISO-8601)')
    .option('--entity-type <type>', 'only events of this entity type')
    .option('--tenant <id>', 'only events of this tenant')
    .option('--format <format>', 'ndjson or csv', 'ndjson')
    .option('--gzip', 'gzip the events and leaves files')
    .option('--out <dir>', 'the bundle directory (default: audit-export-<from>-<to>)')
    .action(
      cli.action<[ExportOptions]>(async (ctx, options) => {
        const from = isoDate(options.from, '--from');
        const to = isoDate(options.to, '--to');
        if (from >= to) throw CliError.usage('--from must be before --to');
        if (options.format !== 'ndjson' && options.format !== 'csv')
          throw CliError.usage(`--format must be ndjson or csv (got "${options.format}")`);
        const out = options.out ?? `audit-export-${from.slice(0, 10)}-${to.slice(0, 10)}`;
        await refuseUsedDirectory(out);
        const app = await ctx.app();
        const [{ AuditExporter }, { DirectoryBundleStore }, { AuditService }] = await Promise.all([
          import('../../export/audit.exporter.js'),
          import('../../export/bundle-store.js'),
          import('../../audit.service.js'),
        ]);
        const store = new DirectoryBundleStore(out);
        const progress = ctx.output.progress('export', 'rows');
        const result = await app
          .get(AuditExporter)
          .export(
            {
              selection: {
                from,
                to,
                entityType: options.entityType ?? null,
                tenantId: options.tenant ?? null,
              },
              format: options.format,
              gzip: options.gzip === true,
            },
            store,
            (done, total) => progress.update(done, total),
          )
          .finally(() => progress.stop());
        const { manifest } = result;
        await ctx.asOperator(() =>
          app.get(AuditService).record({
            action: 'EXPORT',
            entityType: 'audit.export',
            entityId: result.manifestSha256,
            tenantId: options.tenant ?? null,
            module: 'audit',
            metadata: {
              ...ctx.operatorDetails,
              selection: { ...manifest.selection },
              events: manifest.events.count,
            },
          }),
        );
        ctx.output.result({ location: store.location, manifestSha256: result.manifestSha256, manifest }, [
          `Exported ${manifest.events.count} events to ${store.location}`,
          `  events      ${manifest.events.file} (${manifest.events.format})`,
          `  leaves      ${manifest.leaves.from + 1}..${manifest.leaves.to} (${manifest.leaves.file})`,
          `  proofs      ${manifest.proofs.count} signed statements (${manifest.proofs.file})`,
          `  manifest    sha256 ${result.manifestSha256}, sealed at tree size ${manifest.leaves.to}`,
          `Verify offline: audit-ledger verify --bundle ${out} --keys <witness>/keys.json`,
        ]);
      }),
    );
};

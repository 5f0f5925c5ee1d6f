import type { LegalHold, RetentionRule } from '../../archive/retention';
import type { CliCommand } from '../cli-command';
import type { CommandContext } from '../cli-runtime';
import { CliError } from '../cli.error';
import { archiveReportLines } from './archive-report';

interface ScopeOptions {
  tenant?: string;
  entityType?: string;
}

const scopeOf = (x: { tenantId: string | null; entityType: string | null }) =>
  `tenant ${x.tenantId ?? '*'}, type ${x.entityType ?? '*'}`;
const ruleLine = (r: RetentionRule) =>
  `  rule ${r.id}: ${scopeOf(r)}: archive ${r.archiveAfterDays} days after the month ends (${r.reason}; ${r.createdBy}, ${r.createdAt.toISOString()})`;
const holdLine = (h: LegalHold) =>
  `  hold ${h.id}: ${scopeOf(h)}${h.entityId ? `, record ${h.entityId}` : ''} (${h.reason}; ${h.createdBy}, ${h.createdAt.toISOString()})`;

async function policyOf(ctx: CommandContext) {
  const app = await ctx.app();
  const { RetentionPolicy } = await import('../../archive/retention-policy.service.js');
  return app.get(RetentionPolicy);
}

/**
 * `retention`: the policy that decides what leaves the live store and when (rules per tenant and
 * entity type, legal holds), and `retention apply`, which archives everything it releases now.
 * Every change is an audit event naming the operator and the reason.
 */
export const retentionCommand: CliCommand = (program, cli) => {
  const retention = program
    .command('retention')
    .summary('retention rules, legal holds, and applying them')
    .description(
      'Retention policy: rules say how long after its month ends an event may leave the live store ' +
        '(per tenant and/or entity type; the most specific rule wins; nothing is archived that no rule ' +
        'covers); legal holds block archival of what they cover until released.',
    );
  retention
    .command('show')
    .summary('the rules in force and the active legal holds')
    .action(
      cli.action(async (ctx) => {
        const policy = await policyOf(ctx);
        const [rules, holds] = [await policy.rules(), await policy.holds()];
        ctx.output.result({ rules, holds }, [
          `Retention rules (${rules.length}):`,
          ...(rules.length ? rules.map(ruleLine) : ['  none: nothing may be archived']),
          `Active legal holds (${holds.length}):`,
          ...holds.map(holdLine),
        ]);
      }),
    );
  retention
    .command('set')
    .summary('set the rule of a scope (newest rule of a scope wins; older ones stay as history)')
    .requiredOption('--archive-after <days>', 'days after a month ends before its events may be archived')
    .requiredOption('--reason <text>', 'why (recorded in the audit event)')
    .option('--tenant <id>', 'only this tenant (default: every tenant)')
    .option('--entity-type <type>', 'only this entity type (default: every type)')
    .action(
      cli.action<[ScopeOptions & { archiveAfter: string; reason: string }]>(async (ctx, options) => {
        if (!/^\d+$/.test(options.archiveAfter))
          throw CliError.usage(
            `--archive-after must be a whole number of days (got "${options.archiveAfter}")`,
          );
        const policy = await policyOf(ctx);
        const rule = await ctx.asOperator(() =>
          policy.setRule({
            tenantId: options.tenant ?? null,
            entityType: options.entityType ?? null,
            archiveAfterDays: Number(options.archiveAfter),
            reason: options.reason,
          }),
        );
        ctx.output.result(rule, [`Set rule ${rule.id}:`, ruleLine(rule)]);
      }),
    );
  retention
    .command('hold')
    .summary('place a legal hold: what it covers is not archived until released')
    .requiredOption('--reason <text>', 'why (e.g. the case reference)')
    .option('--tenant <id>', 'hold this tenant')
    .option('--entity-type <type>', 'hold this entity type')
    .option('--entity-id <id>', 'hold one record (with --entity-type)')
    .action(
      cli.action<[ScopeOptions & { entityId?: string; reason: string }]>(async (ctx, options) => {
        const policy = await policyOf(ctx);
        const hold = await ctx.asOperator(() =>
          policy.placeHold({
            tenantId: options.tenant ?? null,
            entityType: options.entityType ?? null,
            entityId: options.entityId ?? null,
            reason: options.reason,
          }),
        );
        ctx.output.result(hold, [`Placed legal hold ${hold.id}:`, holdLine(hold)]);
      }),
    );
  retention
    .command('release')
    .summary('release a legal hold')
    .argument('<holdId>', 'the hold (see `retention show`)')
    .requiredOption('--reason <text>', 'why (recorded in the audit event)')
    .action(
      cli.action<[string, { reason: string }]>(async (ctx, holdId, options) => {
        const policy = await policyOf(ctx);
        const hold = await ctx.asOperator(() => policy.releaseHold(holdId, options.reason));
        ctx.output.result(hold, [`Released legal hold ${hold.id}.`]);
      }),
    );
  retention
    .command('apply')
    .summary('archive every closed month the policy releases now')
    .option('--dry-run', 'only report what would be archived and what is kept, and why')
    .action(
      cli.action<[{ dryRun?: boolean }]>(async (ctx, options) => {
        const app = await ctx.app();
        const { AuditArchiver } = await import('../../archive/audit-archiver.service.js');
        const progress = ctx.output.progress('archive', 'rows');
        const report = await ctx
          .asOperator(() =>
            app.get(AuditArchiver).archive(new Date(), {
              dryRun: options.dryRun === true,
              onProgress: (done, total) => progress.update(done, total),
            }),
          )
          .finally(() => progress.stop());
        // NOTE: a month the policy still keeps is the policy working, not a failure: exit 0.
        ctx.output.result(report, archiveReportLines(report));
      }),
    );
};

import type { CliCommand } from '../cli-command';

/**
 * `erase-subject <id>`: crypto-shredding (docs/personal-data.md): destroys the subject's data key,
 * so their personal values become unreadable in the store, exports and archives, while every chain
 * still verifies. The erasure is an audit event; erasing again changes nothing.
 */
export const eraseSubjectCommand: CliCommand = (program, cli) => {
  program
    .command('erase-subject')
    .summary("destroy a data subject's key: their personal values become unreadable everywhere")
    .description(
      "Destroy the data subject's key (GDPR art. 17). Their personal-data fields, stored encrypted, " +
        'become unreadable in the store, in exports and in archives; every chain still verifies. ' +
        'Needs the migration owner or the eraser role. Recorded as an ERASE audit event.',
    )
    .argument('<subjectId>', 'the subject (for the example app: the user id)')
    .requiredOption('--reason <text>', 'why (e.g. the request reference), recorded in the audit event')
    .action(
      cli.action<[string, { reason: string }]>(async (ctx, subjectId, options) => {
        const app = await ctx.app();
        const { AuditSubjectErasure } = await import('../../personal-data/audit-subject-erasure.service.js');
        const erasure = await ctx.asOperator(() =>
          app.get(AuditSubjectErasure).erase(subjectId, { reason: options.reason }),
        );
        ctx.output.result(erasure, [
          erasure.alreadyErased
            ? `Subject ${subjectId} was already erased (${erasure.erasedAt.toISOString()}): nothing changed.`
            : `Erased subject ${subjectId}: key ${erasure.keyDestroyed ? 'destroyed' : 'never existed (blocked for the future)'}, audit event ${erasure.eventId}.`,
        ]);
      }),
    );
};

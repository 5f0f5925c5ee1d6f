import { AUDIT_OPTIONS } from '../../audit.constants';
import type { ResolvedAuditOptions } from '../../audit-options.interface';
import { statedCheckpoint } from '../../crypto/checkpoint';
import type { CliCommand } from '../cli-command';
import { CliError } from '../cli.error';

/**
 * `checkpoint publish`: hands the store's latest signed checkpoint to the witness (the external
 * sink), with the consistency proof from the one it holds (Checkpointer.publish).
 */
export const checkpointCommand: CliCommand = (program, cli) => {
  const checkpoint = program
    .command('checkpoint')
    .summary('publish signed checkpoints')
    .description('Signed checkpoints of the log.');
  checkpoint
    .command('publish')
    .summary('write the latest signed checkpoint to the witness')
    .description(
      "Write the latest signed checkpoint to the witness, with a consistency proof from the witness's " +
        'checkpoint. The witness refuses one that does not extend what it holds.',
    )
    .option('--cut', 'first cut and sign a fresh checkpoint of the whole log (needs the active signing key)')
    .action(
      cli.action<[{ cut?: boolean }]>(async (ctx, options) => {
        const app = await ctx.app();
        const [{ MikroORM }, { Checkpointer }, { sqlOf }, { latestCheckpoint }] = await Promise.all([
          import('@mikro-orm/core'),
          import('../../sealing/checkpointer.service.js'),
          import('../../storage/sql-session.js'),
          import('../../storage/log.store.js'),
        ]);
        const checkpointer = app.get(Checkpointer);
        const { witness } = app.get<ResolvedAuditOptions>(AUDIT_OPTIONS);
        const cut = options.cut ? (await checkpointer.cut('NOW')) !== null : false;
        const newest = await latestCheckpoint(sqlOf(app.get(MikroORM)));
        if (!newest) {
          throw CliError.refused(
            'the store holds no checkpoint yet: run with --cut, or start a worker (it cuts one at start)',
          );
        }
        const alreadyHeld = (await witness.latest()) === newest.note;
        await checkpointer.publish();
        const held = await witness.latest();
        const { size, root, time } = statedCheckpoint(newest.note);
        const data = {
          checkpoint: { treeSize: size, rootHash: root.toString('hex'), time, keyId: newest.key_id },
          cut,
          alreadyHeld,
          witness: { treeSize: held ? statedCheckpoint(held).size : 0, holdsLatest: held === newest.note },
        };
        ctx.output.result(data, [
          alreadyHeld
            ? `The witness already holds the latest checkpoint (size ${size}).`
            : `Published the checkpoint of size ${size} to the witness${cut ? ' (cut now)' : ''}.`,
          `  tree size  ${size}`,
          `  root       ${data.checkpoint.rootHash}`,
          `  time       ${time.toISOString()}`,
          `  key        ${newest.key_id}`,
          ...(data.witness.holdsLatest
            ? []
            : [`  the witness now holds a newer checkpoint (size ${data.witness.treeSize})`]),
        ]);
      }),
    );
};

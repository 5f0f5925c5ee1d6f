import type { Command } from 'commander';
import { AUDIT_OPTIONS } from '../../audit.constants';
import type { ResolvedAuditOptions } from '../../audit-options.interface';
import type { JsonObject } from '../../events/audit-event';
import type { KeyRegistry } from '../../keys/key-registry.service';
import type { SigningKeyRecord } from '../../keys/signing-key-record';
import type { CliCommand } from '../cli-command';
import { CliError } from '../cli.error';
import type { CommandContext } from '../cli-runtime';
import { textTable } from '../text-table';

const KEY_ID = /^[0-9a-f]{8}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

const iso = (d: Date | null) => (d ? d.toISOString() : '-');

function keyIdArgument(keyId: string): string {
  if (!KEY_ID.test(keyId)) throw CliError.usage(`"${keyId}" is not a key id (8 hex digits, see keys list)`);
  return keyId;
}

/** The app's KeyRegistry (loaded on use, like everything Nest: see cli-app.ts). */
async function keyRegistry(ctx: CommandContext): Promise<KeyRegistry> {
  const [app, { KeyRegistry }] = await Promise.all([ctx.app(), import('../../keys/key-registry.service.js')]);
  return app.get(KeyRegistry);
}

async function storedKey(registry: KeyRegistry, keyId: string): Promise<SigningKeyRecord> {
  const key = (await registry.storedKeys()).find((k) => k.keyId === keyId);
  if (!key) throw CliError.usage(`the store has no key ${keyId} (see keys list)`);
  return key;
}

/** What the key events a command records carry besides their own fields. */
function details(ctx: CommandContext, reason: string | undefined): JsonObject {
  return reason ? { ...ctx.operatorDetails, operatorReason: reason } : ctx.operatorDetails;
}

/** Rotates as the operator; returns the result document and lines. */
async function rotate(ctx: CommandContext, registry: KeyRegistry, reason: string | undefined) {
  const previous = await registry.activeKey();
  const created = await ctx.asOperator(() => registry.rotate('ON_DEMAND', undefined, details(ctx, reason)));
  return {
    data: { active: created, retiredKeyId: previous?.keyId ?? null },
    lines: [
      `Signing key ${created.keyId} is active${previous ? `; ${previous.keyId} is retired` : ''}.`,
      `  verifier key  ${created.verifierKey}`,
      'Published to the witness; the KEY_ROTATED event is sealed by the running workers.',
    ],
  };
}

function list(keys: Command, cli: Parameters<CliCommand>[1]): void {
  keys
    .command('list')
    .summary('list the signing keys')
    .description(
      'List the signing keys of the store, the active one marked, with what the witness published.',
    )
    .action(
      cli.action<[]>(async (ctx) => {
        const registry = await keyRegistry(ctx);
        const [stored, active, published] = await Promise.all([
          registry.storedKeys(),
          registry.activeKey(),
          (await ctx.app()).get<ResolvedAuditOptions>(AUDIT_OPTIONS).witness.keys(),
        ]);
        const rows = stored.map((k) => ({
          ...k,
          active: k.keyId === active?.keyId,
          witnessStatus: published.find((p) => p.keyId === k.keyId)?.status ?? null,
        }));
        const table = textTable(
          ['', 'KEY ID', 'KEY SET', 'STATUS', 'NOT BEFORE', 'NOT AFTER', 'COMPROMISED AT', 'WITNESS'],
          rows.map((k) => [
            k.active ? '*' : '',
            k.keyId,
            k.keySetId,
            k.status,
            iso(k.notBefore),
            iso(k.notAfter),
            iso(k.compromisedAt),
            k.witnessStatus ?? 'not published',
          ]),
        );
        ctx.output.result({ keys: rows }, [
          ...table,
          '',
          'Verifier keys:',
          ...rows.map((k) => `  ${k.keyId}  ${k.verifierKey}`),
        ]);
      }),
    );
}

/**
 * `keys list|rotate|retire|compromised`: the signing keys' lifecycle (ACTIVE → RETIRED →
 * COMPROMISED) through KeyRegistry. Every change is an audit event (KEY_ROTATED,
 * KEY_COMPROMISED) recorded as the operator, and is published to the witness.
 */
export const keysCommand: CliCommand = (program, cli) => {
  const keys = program
    .command('keys')
    .summary('manage the signing keys (list, rotate, retire, compromised)')
    .description('Manage the signing keys: list, rotate, retire, mark compromised (each change is audited).');
  list(keys, cli);

  keys
    .command('rotate')
    .summary('activate a new key, retiring the active one')
    .description('Retire the active key and activate a new one, created by the key provider.')
    .option('--reason <text>', 'why, recorded in the KEY_ROTATED event (metadata.operatorReason)')
    .action(
      cli.action<[{ reason?: string }]>(async (ctx, options) => {
        const { data, lines } = await rotate(ctx, await keyRegistry(ctx), options.reason);
        ctx.output.result(data, lines);
      }),
    );

  keys
    .command('retire')
    .summary('retire the active key (rotates to a new one)')
    .description(
      'Retire a key. Only the active key can be retired, and retiring it rotates to a new key; ' +
        'a retired key stays published to verify what it signed.',
    )
    .argument('<keyId>', 'the key (8 hex digits, see keys list)', keyIdArgument)
    .option('--reason <text>', 'why, recorded in the KEY_ROTATED event (metadata.operatorReason)')
    .action(
      cli.action<[string, { reason?: string }]>(async (ctx, keyId, options) => {
        const registry = await keyRegistry(ctx);
        const key = await storedKey(registry, keyId);
        if ((await registry.activeKey())?.keyId !== keyId) {
          throw CliError.refused(
            `key ${keyId} is ${key.status}, not the active key: only the active key can be retired ` +
              '(use keys compromised to void a retired key)',
          );
        }
        const { data, lines } = await rotate(ctx, registry, options.reason);
        ctx.output.result(data, lines);
      }),
    );

  keys
    .command('compromised')
    .summary('mark a key compromised from a given time on')
    .description(
      'Mark a key compromised: everything it signed at or after --since fails verification. ' +
        'When it is the active key, a new key is activated first, so sealing goes on.',
    )
    .argument('<keyId>', 'the key (8 hex digits, see keys list)', keyIdArgument)
    .requiredOption(
      '--since <time>',
      'ISO 8601 time from which its signatures are void, e.g. 2026-11-20T08:00:00Z',
    )
    .option('--reason <text>', 'why, recorded in the KEY_COMPROMISED event (metadata.operatorReason)')
    .action(
      cli.action<[string, { since: string; reason?: string }]>(async (ctx, keyId, options) => {
        const since = new Date(options.since);
        if (!ISO_TIME.test(options.since) || Number.isNaN(since.getTime()))
          throw CliError.usage(`--since "${options.since}" is not an ISO 8601 time`);
        if (since.getTime() > Date.now()) throw CliError.usage('--since must not be in the future');
        const registry = await keyRegistry(ctx);
        const key = await storedKey(registry, keyId);
        if (key.compromisedAt)
          throw CliError.refused(
            `key ${keyId} is already compromised since ${key.compromisedAt.toISOString()}`,
          );
        const wasActive = (await registry.activeKey())?.keyId === keyId;
        await ctx.asOperator(() => registry.markCompromised(keyId, since, details(ctx, options.reason)));
        const [compromised, active] = await Promise.all([storedKey(registry, keyId), registry.activeKey()]);
        ctx.output.result({ compromised, active, rotated: wasActive }, [
          `Signing key ${keyId} is compromised since ${since.toISOString()}: its signatures from then on fail verification.`,
          ...(wasActive && active ? [`It was the active key: ${active.keyId} is active now.`] : []),
          'Published to the witness; the KEY_COMPROMISED event is sealed by the running workers.',
        ]);
      }),
    );
};

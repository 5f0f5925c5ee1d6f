import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { waitFor } from '../../../test/support/wait-for';
import {
  AuditExporter,
  Checkpointer,
  DirectoryBundleStore,
  DirectoryWitness,
  verifyBundle,
  type AuditModuleOptions,
  type BundleSelection,
} from '../src';
import { startFixtureApp, type FixtureApp } from './fixtures/fixture-app';
import { sealedChain } from './fixtures/tamper';

const MANUAL: AuditModuleOptions = {
  checkpoint: { intervalMs: 3_600_000, heartbeatMs: 3_600_000, everyEvents: 1_000_000 },
};
const ALL: BundleSelection = {
  from: '2000-01-01T00:00:00Z',
  to: '2100-01-01T00:00:00Z',
  entityType: null,
  tenantId: null,
};

/** Export bundles (ECS NDJSON / CSV + leaves + proofs + signed manifest) verified with public keys only. */
describe('export bundles and offline verification', () => {
  let f: FixtureApp;
  let dir: string;
  let trusted: Awaited<ReturnType<DirectoryWitness['keys']>>;
  let total: number;
  let afterCheckpoint: string;

  const exporter = () => f.app.get(AuditExporter);
  const bundle = (name: string) => new DirectoryBundleStore(join(dir, name));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'audit-export-'));
    f = await startFixtureApp(MANUAL);
    await Promise.all([sealedChain(f, 3, 'acme'), sealedChain(f, 2, 'globex')]);
    await f.app.get(Checkpointer).run('NOW');
    await new Promise((r) => setTimeout(r, 5));
    afterCheckpoint = new Date().toISOString();
    await Promise.all([sealedChain(f, 1, 'acme'), sealedChain(f, 1, 'globex')]);
    await waitFor(
      async () => (await f.db.query('select 1 from audit.outbox')).length === 0,
      'an empty outbox',
    );
    [{ total }] = await f.db.query<{ total: number }>('select count(*)::int as total from audit.events');
    trusted = await new DirectoryWitness(f.db.witnessDir).keys();
  });
  afterAll(async () => {
    await f.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('exports every event as ECS NDJSON and verifies offline, with the witness keys only', async () => {
    const { manifest } = await exporter().export(
      { selection: ALL, format: 'ndjson', gzip: false },
      bundle('all'),
    );
    expect(manifest.events.count).toBe(total);
    expect(manifest.leaves).toMatchObject({ from: 0, to: total });
    const report = await verifyBundle(bundle('all'), { trustedKeys: trusted });
    expect(report.failures).toEqual([]);
    expect(report).toMatchObject({
      valid: true,
      checkedEvents: total,
      treeSize: total,
      keysFromBundle: false,
    });
    expect(report.checkedProofs).toBeGreaterThan(1);
    const first = JSON.parse((await readFile(join(dir, 'all', manifest.events.file), 'utf8')).split('\n')[0]);
    expect(first).toMatchObject({
      ecs: { version: expect.any(String) },
      event: { sequence: 1, dataset: 'audit_ledger.events' },
    });
  });

  it('names the file and the first bad event when one byte of the export changes', async () => {
    const { manifest } = await exporter().export(
      { selection: ALL, format: 'ndjson', gzip: false },
      bundle('tampered'),
    );
    const path = join(dir, 'tampered', manifest.events.file);
    const lines = (await readFile(path, 'utf8')).split('\n');
    // One byte of one event's recorded state: a name "v1" becomes "w1".
    const target = lines.findIndex((l) => l.includes('"name":"v1"'));
    lines[target] = lines[target].replace('"name":"v1"', '"name":"w1"');
    await writeFile(path, lines.join('\n'));
    const seq = JSON.parse(lines[target]).event.sequence as number;

    const report = await verifyBundle(bundle('tampered'), { trustedKeys: trusted });
    expect(report.valid).toBe(false);
    expect(report.failures).toContainEqual(
      expect.objectContaining({ reason: 'FILE_MODIFIED', file: manifest.events.file }),
    );
    expect(report.failures).toContainEqual(
      expect.objectContaining({ reason: 'EVENT_INVALID', file: manifest.events.file, globalSeq: seq }),
    );
  });

  it('exports one tenant as gzip CSV: only its events, still bound to every leaf', async () => {
    const selection = { ...ALL, tenantId: 'globex' };
    const { manifest } = await exporter().export({ selection, format: 'csv', gzip: true }, bundle('globex'));
    const [{ count }] = await f.db.query<{ count: number }>(
      "select count(*)::int as count from audit.events where tenant_id = 'globex'",
    );
    expect(manifest.events).toMatchObject({ file: 'events.csv.gz', count });
    const csv = gunzipSync(await readFile(join(dir, 'globex', 'events.csv.gz'))).toString();
    expect(csv.split('\n')[0]).toContain('@timestamp,message,ecs.version,event.id');
    expect(csv).not.toContain('acme');
    const report = await verifyBundle(bundle('globex'), { trustedKeys: trusted });
    expect(report.failures).toEqual([]);
    expect(report.checkedEvents).toBe(count);

    // A changed cell inside the compressed file: still found, and the file named.
    const changed = csv.replace('globex', 'globey');
    await writeFile(join(dir, 'globex', 'events.csv.gz'), gzipSync(changed));
    const bad = await verifyBundle(bundle('globex'), { trustedKeys: trusted });
    expect(bad.failures.map((x) => [x.reason, x.file])).toEqual(
      expect.arrayContaining([
        ['FILE_MODIFIED', 'events.csv.gz'],
        ['EVENT_INVALID', 'events.csv.gz'],
      ]),
    );
  });

  it('starts a later period at the last signed checkpoint before it', async () => {
    const selection = { ...ALL, from: afterCheckpoint };
    const { manifest } = await exporter().export(
      { selection, format: 'ndjson', gzip: true },
      bundle('later'),
    );
    expect(manifest.anchor.size).toBeGreaterThan(0);
    expect(manifest.anchor.note).toContain('— ');
    expect(manifest.events.count).toBe(4);
    const report = await verifyBundle(bundle('later'), { trustedKeys: trusted });
    expect(report.failures).toEqual([]);
  });

  it('refuses a changed manifest, a removed event and keys it does not trust', async () => {
    const { manifest } = await exporter().export(
      { selection: ALL, format: 'ndjson', gzip: false },
      bundle('cut'),
    );
    const manifestPath = join(dir, 'cut', 'manifest.json');
    await writeFile(
      manifestPath,
      (await readFile(manifestPath, 'utf8')).replace(`"count": ${total}`, `"count": ${total - 1}`),
    );
    const changed = await verifyBundle(bundle('cut'), { trustedKeys: trusted });
    expect(changed.failures[0]).toMatchObject({ reason: 'SEAL_INVALID', file: 'manifest.json' });

    const untrusted = await verifyBundle(bundle('all'), { trustedKeys: [] });
    expect(untrusted.failures[0]).toMatchObject({ reason: 'SEAL_INVALID' });
    expect(untrusted.failures[0].detail).toContain('UNKNOWN_KEY');

    await exporter().export({ selection: ALL, format: 'ndjson', gzip: false }, bundle('removed'));
    const eventsPath = join(dir, 'removed', manifest.events.file);
    const lines = (await readFile(eventsPath, 'utf8')).split('\n');
    await writeFile(eventsPath, [...lines.slice(0, 3), ...lines.slice(4)].join('\n'));
    const removed = await verifyBundle(bundle('removed'), { trustedKeys: trusted });
    expect(removed.failures.map((x) => x.reason)).toEqual(
      expect.arrayContaining(['FILE_MODIFIED', 'COUNT_MISMATCH']),
    );
  });
});

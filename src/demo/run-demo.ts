import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AuditExporter,
  AuditSubjectErasure,
  Checkpointer,
  DirectoryBundleStore,
  DirectoryWitness,
  LogVerifier,
  verifyBundle,
  type SealedAuditEvent,
} from 'audit-ledger';
import { Client } from 'pg';
import { loadAppConfig } from '../config/app-config';
import { createApp } from '../main';
import { captureTour, type DemoGql } from './capture-tour';
import { demoDatabase, demoState, requireRedis } from './demo-services';
import { serveUntilInterrupted } from './serve-until-interrupted';
import { until } from './until';

/**
 * `npm run demo`: starts the example app with its in-process worker, plays the seed scenario
 * (an admin elevates a user to admin, the user changes data, the escalation is reverted with
 * previewRevert and revertChange) over the real
 * GraphQL and REST APIs, then prints that user's sealed audit trail; then the forensic query, the
 * operator's export and erasure, row capture (a bulk deactivation, a change made in psql) and the
 * integrity checks.
 */
async function main(): Promise<void> {
  const serve = process.argv.slice(2).includes('--serve');
  const state = await demoState();
  const database = await demoDatabase();
  process.env.DATABASE_URL = database.url;
  const config = loadAppConfig();
  await requireRedis(config.redisUrl);

  // The scenario's own output is the point here; the app logs only warnings and errors (JSON).
  process.env.LOG_LEVEL ??= 'warn';
  // The demo's client names its requests (x-request-id) as a proxy in front of the app would: the
  // app takes the header from a trusted proxy only, here one on the same host.
  process.env.TRUST_PROXY ??= 'loopback';
  // NOTE: queues of its own, so an app running beside it on the same Redis never takes its jobs.
  process.env.AUDIT_QUEUE_PREFIX ??= 'audit-ledger-demo';
  const app = await createApp();
  await app.listen(0, '127.0.0.1');
  const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const call = async (
    path: string,
    init: { method?: string; token?: string; body?: unknown; requestId: string },
  ) => {
    const res = await fetch(base + path, {
      method: init.method ?? 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'audit-ledger-demo/1.0',
        'x-request-id': init.requestId,
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const json = (await res.json()) as any;
    if (!res.ok || json.errors)
      throw new Error(`${path}: ${res.status} ${JSON.stringify(json.errors ?? json)}`);
    return json;
  };
  const gql = async (query: string, variables: object, requestId: string, token?: string) =>
    (await call('/graphql', { body: { query, variables }, token, requestId })).data;
  const login = async (username: string, requestId: string) =>
    (
      await gql(
        'mutation($u:String!,$p:String!){login(username:$u,password:$p){token}}',
        { u: username, p: config.demoPassword },
        requestId,
      )
    ).login.token as string;
  const setRole = 'mutation($id:ID!,$role:Role!){updateUser(id:$id,input:{role:$role}){username role}}';

  try {
    console.log(`\nExample app on ${base}/graphql — playing the scenario:\n`);
    const alice = await login('alice', 'demo-1-alice-login');
    const users = (await gql('{users{id username role}}', {}, 'demo-2-list', alice)).users as {
      id: string;
      username: string;
    }[];
    const bob = users.find((u) => u.username === 'bob')!;

    await gql(setRole, { id: bob.id, role: 'admin' }, 'demo-3-escalate', alice);
    console.log('  1. alice (acme admin) elevates bob to admin            [GraphQL updateUser]');
    const bobToken = await login('bob', 'demo-4-bob-login');
    await call(`/users/${bob.id}`, {
      method: 'PATCH',
      token: bobToken,
      body: { email: `bob+${Date.now()}@example.test` },
      requestId: 'demo-5-bob-edit',
    });
    console.log('  2. bob, now admin, changes his email                    [REST PATCH /users/:id]');
    const bobTrail = () =>
      call(`/users/${bob.id}/audit`, { method: 'GET', token: alice, requestId: 'demo-7-audit' });
    await revertEscalation(gql, alice, bobTrail);

    const trail = await waitForTrail(bobTrail);
    printTrail(bob.username, trail);
    const grace = await login('grace', 'demo-8-grace-login');
    await forensics(gql, grace);
    await operationsTour(app, gql, state, (id, token) =>
      call(`/users/${id}/audit`, { method: 'GET', token, requestId: `demo-9-audit-${id}` }),
    );
    await captureTour(gql, { alice, grace }, (username) => login(username, 'demo-11-relogin'), database.url);
    await integrityTour(app, state.witnessDir, database.url, () =>
      call(`/users/${bob.id}/audit`, { method: 'GET', token: alice, requestId: 'demo-10-audit' }),
    );
    if (serve) await serveUntilInterrupted(base);
  } finally {
    await app.close();
    await database.stop();
  }
}

/**
 * Step 3: alice undoes exactly the escalation (docs/revert.md): the preview shows the patch and
 * that nothing conflicts (bob's own email change since is another field, kept), then the revert
 * is applied against the trail head the preview saw, as an audited REVERT operation.
 */
async function revertEscalation(
  gql: DemoGql,
  alice: string,
  fetchTrail: () => Promise<SealedAuditEvent[]>,
): Promise<void> {
  const escalation = await until(async () => {
    const trail = await fetchTrail();
    const edited = trail.some((e) => e.changes.some((c) => c.field === 'email' && c.before !== null));
    return edited && trail.find((e) => e.changes.some((c) => c.field === 'role' && c.after === 'admin'));
  }, "bob's escalation and edit to be sealed");
  const { previewRevert: preview } = await gql(
    `query($id: ID!) { previewRevert(eventId: $id) { headSeq patch conflicts { field }
       notRestorable { field reason } } }`,
    { id: escalation.id },
    'demo-6-preview',
    alice,
  );
  const conflicts = (preview.conflicts as { field: string }[]).map((c) => c.field).join(', ') || 'none';
  console.log(
    `  3. alice previews the revert of event #${escalation.chainSeq}: patch ${JSON.stringify(preview.patch)}, conflicts: ${conflicts}   [GraphQL previewRevert]`,
  );
  const { revertChange } = await gql(
    `mutation($id: ID!, $head: Int!) { revertChange(eventId: $id, expectedHeadSeq: $head,
       reason: "unauthorised escalation") { applied appliedFields operationId } }`,
    { id: escalation.id, head: preview.headSeq },
    'demo-6-revert',
    alice,
  );
  console.log(
    `  4. alice reverts it: ${revertChange.appliedFields.join(', ')} put back, bob's email kept (operation ${revertChange.operationId})   [GraphQL revertChange]`,
  );
}

async function waitForTrail(fetchTrail: () => Promise<SealedAuditEvent[]>): Promise<SealedAuditEvent[]> {
  return until(async () => {
    const trail = await fetchTrail();
    return trail[trail.length - 1]?.action === 'REVERT' && trail;
  }, "bob's trail to end with the revert");
}

function printTrail(username: string, trail: SealedAuditEvent[]): void {
  console.log(`\nGET /users/:id/audit — ${username}'s sealed trail (${trail.length} events, chain order):\n`);
  for (const e of trail) {
    const who = `${e.actor.type}:${e.actor.display ?? e.actor.id}`;
    console.log(
      `  #${e.chainSeq}  ${e.occurredAt}  ${e.action.padEnd(13)} by ${who.padEnd(16)} ip=${e.source.ip ?? '-'}  request=${e.source.requestId ?? '-'}`,
    );
    for (const c of e.changes.filter((x) => e.action !== 'CREATE' && x.field !== 'updatedAt')) {
      console.log(`        ${c.field}: ${JSON.stringify(c.before)} -> ${JSON.stringify(c.after)}`);
    }
  }
  console.log('\nThe full JSON of the last event:\n');
  console.log(JSON.stringify(trail[trail.length - 1], null, 2));
}

/** The seed's forensic question, asked over the library's GraphQL API by grace (global auditor). */
async function forensics(gql: DemoGql, grace: string): Promise<void> {
  const from = new Date(Date.now() - 3600_000).toISOString();
  const to = new Date(Date.now() + 60_000).toISOString();
  const { privilegeChanges } = await gql(
    `query($from: DateTime!, $to: DateTime!) { privilegeChanges(from: $from, to: $to) {
       field before after reverted event { entityId occurredAt actor { display } source { requestId } }
       revertedBy { actor { display } occurredAt } } }`,
    { from, to },
    'demo-9-forensics',
    grace,
  );
  const changes = (privilegeChanges as any[]).filter((c) => c.before !== null);
  console.log(
    `\nGraphQL privilegeChanges (grace, global auditor): ${privilegeChanges.length} changes of a privileged field, ` +
      `${privilegeChanges.length - changes.length} of them grants at account creation (not shown):\n`,
  );
  for (const c of changes) {
    const flag = c.reverted
      ? `  REVERTED by ${c.revertedBy.actor.display} at ${c.revertedBy.occurredAt}`
      : '';
    console.log(
      `  ${c.event.occurredAt}  ${c.field}: ${JSON.stringify(c.before)} -> ${JSON.stringify(c.after)} by ${c.event.actor.display} (${c.event.source.requestId ?? '-'})${flag}`,
    );
  }
}

/**
 * The operator's side (README "Operating the ledger"), as `npx audit-ledger export`, `verify
 * --bundle` and `erase-subject` do it: the store exported and verified offline with the witness's
 * public keys only, one changed byte caught, and a data subject erased with every chain intact.
 */
async function operationsTour(
  app: INestApplication,
  gql: DemoGql,
  { witnessDir, exportDir: dir }: { witnessDir: string; exportDir: string },
  readTrail: (userId: string, token: string) => Promise<SealedAuditEvent[]>,
): Promise<void> {
  await app.get(Checkpointer).run('NOW');
  const everything = {
    from: '2000-01-01T00:00:00Z',
    to: '2100-01-01T00:00:00Z',
    entityType: null,
    tenantId: null,
  };
  const { manifest } = await app
    .get(AuditExporter)
    .export({ selection: everything, format: 'ndjson', gzip: false }, new DirectoryBundleStore(dir));
  const trustedKeys = await new DirectoryWitness(witnessDir).keys();
  const offline = await verifyBundle(new DirectoryBundleStore(dir), { trustedKeys });
  console.log(`
Export (ECS NDJSON, leaves, signed proofs, sealed manifest) to ${dir}: ${manifest.events.count} events`);
  console.log(
    `Offline verification with the witness's public keys only: ${offline.valid ? 'VALID' : 'INVALID'} — ` +
      `${offline.checkedEvents} events, ${offline.checkedProofs} signed statements`,
  );
  const copy = `${dir}-tampered`;
  await cp(dir, copy, { recursive: true });
  const events = join(copy, manifest.events.file);
  const text = await readFile(events, 'utf8');
  const at = text.lastIndexOf('"role":"admin"') + '"role":"'.length;
  await writeFile(events, `${text.slice(0, at)}x${text.slice(at + 1)}`);
  const [first] = (await verifyBundle(new DirectoryBundleStore(copy), { trustedKeys })).failures.filter(
    (f) => f.globalSeq !== null,
  );
  console.log(
    `One byte changed in a copy ("admin" -> "xdmin"): INVALID — ${first.reason} in ${first.file} at global_seq ${first.globalSeq}`,
  );

  const dave = (
    await gql(
      'mutation($u:String!,$p:String!){login(username:$u,password:$p){token}}',
      { u: 'dave', p: loadAppConfig().demoPassword },
      'demo-9-dave-login',
    )
  ).login.token as string;
  const users = (await gql('{users{id username}}', {}, 'demo-9-globex-users', dave)).users as {
    id: string;
    username: string;
  }[];
  const erin = users.find((u) => u.username === 'erin')!;
  await app.get(AuditSubjectErasure).erase(erin.id, { reason: 'GDPR art. 17 request (demo)' });
  const created = (await readTrail(erin.id, dave))[0];
  const email = created.changes.find((c) => c.field === 'email')!;
  console.log(
    `Erasure of erin's personal data (her key destroyed): her CREATE event now reads email ${JSON.stringify(email.after)}, ` +
      `username ${JSON.stringify(created.changes.find((c) => c.field === 'username')!.after)}; the chain still verifies`,
  );
}

/**
 * What makes the trail trustworthy: the signed checkpoint the witness holds, a full verification
 * of the log against it, then an insider's edit in SQL and the read that refuses it.
 */
async function integrityTour(
  app: INestApplication,
  witnessDir: string,
  databaseUrl: string,
  readTrail: () => Promise<SealedAuditEvent[]>,
): Promise<void> {
  await app.get(Checkpointer).run('NOW');
  const witness = new DirectoryWitness(witnessDir);
  const [key] = (await witness.keys()).filter((k) => k.status === 'ACTIVE');
  console.log(`\nThe checkpoint the witness (${witnessDir}) holds, a C2SP signed note:\n`);
  console.log((await witness.latest())!.replace(/^/gm, '  '));
  console.log(
    `Verifier key (publish it; any signed-note tool checks the note with it):\n  ${key.verifierKey}\n`,
  );
  const log = await app.get(LogVerifier).verify('FULL');
  console.log(
    `Full verification against the witness: ${log.valid ? 'VALID' : 'INVALID'} — ${log.checkedEvents} events, ` +
      `${log.checkedCheckpoints} checkpoints, tree size ${log.treeSize}, of which the witness covers ${log.witnessedSize}`,
  );

  const edit = `update audit.events set actor_display = 'carol' where action = 'UPDATE' and after->>'role' = 'admin'`;
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const refused = await db.query(edit).then(
    () => 'accepted (this must not happen)',
    (error: Error) => error.message,
  );
  console.log(`\nAn insider with database access rewrites who escalated bob: ${refused}`);
  // A superuser can still switch the trigger off; the read then catches the edit.
  await db.query('begin');
  await db.query('alter table audit.events disable trigger events_append_only');
  await db.query(edit);
  await db.query('alter table audit.events enable always trigger events_append_only');
  await db.query('commit');
  await db.end();
  console.log('The superuser disables the trigger and makes the edit anyway:');
  const read = await readTrail().then(
    () => 'the trail was returned (this must not happen)',
    (error: Error) => error.message,
  );
  console.log(`  GET /users/:id/audit -> ${read}\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

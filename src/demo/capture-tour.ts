import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { until } from './until';

/** A GraphQL call of the demo: the data, or an error naming the errors. */
export type DemoGql = (query: string, variables: object, requestId: string, token?: string) => Promise<any>;

const SEARCH = `query($filter: AuditEventFilter) { auditEvents(filter: $filter, first: 100) {
  totalCount edges { node { entityId action operationId origin actor { type id display }
  database { transactionId role } changes { field before after } } } } }`;

/**
 * Row capture: users are captured at the database (User is `@AuditedEntity`), so one bulk
 * statement is one operation with an event per user, and a change made in psql, behind the app's
 * back, is sealed all the same, as the database role's.
 */
export async function captureTour(
  gql: DemoGql,
  tokens: { alice: string; grace: string },
  login: (username: string) => Promise<string>,
  databaseUrl: string,
): Promise<void> {
  let reader = tokens.grace;
  const search = async (filter: object) =>
    (await gql(SEARCH, { filter }, 'demo-11-search', reader)).auditEvents as {
      totalCount: number;
      edges: { node: any }[];
    };
  for (const n of [1, 2]) {
    const input = {
      username: `acme-contractor-${n}`,
      email: `contractor-${n}@acme.example.test`,
      password: randomBytes(12).toString('hex'),
      role: 'user',
      tenantId: 'acme',
    };
    await gql(
      'mutation($input: CreateUserInput!) { createUser(input: $input) { id } }',
      { input },
      `demo-11-contractor-${n}`,
      tokens.alice,
    );
  }
  const { deactivateTenantUsers: count } = await gql(
    'mutation($tenantId: String!) { deactivateTenantUsers(tenantId: $tenantId) }',
    { tenantId: 'acme' },
    'demo-11-deactivate',
    tokens.alice,
  );
  const deactivated = await until(async () => {
    const found = await search({ action: 'DEACTIVATE', requestId: 'demo-11-deactivate' });
    return found.totalCount === count && found;
  }, 'the DEACTIVATE events');
  const operationId = deactivated.edges[0].node.operationId as string;
  const shared = (await search({ operationId })).totalCount;
  console.log(
    `\nRow capture: alice deactivates every acme account but her own   [GraphQL deactivateTenantUsers, one UPDATE]`,
  );
  console.log(`  ${count} users deactivated; operationId ${operationId}: ${shared} sealed events share it`);

  // As psql would: a connection of its own, no application, no audit context.
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  await db.query("update users set role = 'admin' where username = 'grace'");
  await db.end();
  // NOTE: a role change revokes the user's tokens, whichever statement made it (a trigger bumps
  // users.credentials_version), so grace's token is refused from here on.
  const refused = await search({}).then(
    () => 'accepted (this must not happen)',
    (error: Error) => (error.message.includes('UNAUTHENTICATED') ? 'refused' : error.message),
  );
  reader = await login('grace');
  const [event] = (
    await until(async () => {
      const found = await search({ actorType: 'DATABASE' });
      return found.totalCount > 0 && found;
    }, 'the psql change to be sealed')
  ).edges.map((x) => x.node);
  const role = event.changes.find((c: { field: string }) => c.field === 'role');
  console.log(`  A DBA runs in psql: update users set role = 'admin' where username = 'grace'`);
  console.log(`  grace's earlier token: ${refused} (a role change revokes tokens); she logs in again`);
  console.log(
    `  sealed as ${event.action} ${JSON.stringify(role.before)} -> ${JSON.stringify(role.after)} by ${event.actor.type}:${event.actor.id} ` +
      `(origin ${event.origin}, database transaction ${event.database.transactionId}, no operation: ${event.operationId})`,
  );
}

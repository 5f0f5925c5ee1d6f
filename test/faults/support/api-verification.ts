import type { FaultDatabase } from './fault-database';
import type { GraphqlClient } from './graphql-client';

const TRAIL = `query($id: ID!) {
  auditTrail(entityType: "User", entityId: $id, first: 1) {
    totalCount
    verification { valid headSeq checkedEvents failures { chainSeq reason detail } }
  }
}`;
const LOG = `{ verifyAuditLog { valid treeSize witnessedSize checkedEvents failures { reason globalSeq detail } } }`;

interface Trail {
  auditTrail: {
    totalCount: number;
    verification: { valid: boolean; headSeq: number; checkedEvents: number; failures: unknown[] };
  };
}
interface Log {
  verifyAuditLog: { valid: boolean; treeSize: number; witnessedSize: number; failures: unknown[] };
}

/**
 * Verification through the app's own audit API, as the global auditor grace: the trail of each
 * user (its chain verified, its head where the store has it), then the full log against the
 * witness. Returns what did not verify; empty when everything did.
 */
export async function verifyOverApi(
  client: GraphqlClient,
  db: FaultDatabase,
  userIds: string[],
): Promise<string[]> {
  const token = await client.login('grace');
  const problems: string[] = [];
  for (const id of userIds) {
    const [{ n }] = await db.query<{ n: number }>(
      "select count(*)::int as n from audit.events where entity_type = 'User' and entity_id = $1",
      [id],
    );
    const res = await client.request<Trail>(TRAIL, { id }, { token });
    const v = res.data?.auditTrail.verification;
    if (!v?.valid || v.headSeq !== n) {
      problems.push(
        `auditTrail(User, ${id}) with ${n} sealed events: ${JSON.stringify(res.data ?? res.errors)}`,
      );
    }
  }
  const log = await client.request<Log>(LOG, {}, { token, timeoutMs: 120000 });
  if (!log.data?.verifyAuditLog.valid)
    problems.push(`verifyAuditLog: ${JSON.stringify(log.data ?? log.errors)}`);
  return problems;
}

import { v7 as uuidv7 } from 'uuid';
import { eventHash, GENESIS_HASH, type SealedAuditEvent } from '../libs/audit/src';

/**
 * A realistic, correctly chained trail: a user record created, then updated `length - 1` times
 * by alice, one minute apart, ending now; the events are global leaves `firstGlobalSeq…`.
 */
export function benchChain(
  length: number,
  { entityId = 'u1', tenantId = 'acme', firstGlobalSeq = 1 } = {},
): SealedAuditEvent[] {
  const events: SealedAuditEvent[] = [];
  let prev: Buffer = GENESIS_HASH;
  for (let seq = 1; seq <= length; seq++) {
    const state = {
      id: entityId,
      username: 'bob',
      email: `bob${seq}@example.test`,
      role: seq % 2 ? 'user' : 'admin',
      tenantId,
    };
    const event = {
      id: uuidv7(),
      occurredAt: new Date(Date.now() - (length - seq) * 60_000).toISOString(),
      actor: { type: 'USER' as const, id: 'alice', display: 'alice' },
      action: seq === 1 ? 'CREATE' : 'UPDATE',
      entityType: 'User',
      entityId,
      tenantId,
      module: 'identity',
      transactionCode: null,
      before: seq === 1 ? null : events[seq - 2].after,
      after: state,
      changes: [
        { field: 'email', before: seq === 1 ? null : `bob${seq - 1}@example.test`, after: state.email },
      ],
      patch: [{ op: 'replace' as const, path: '/email', value: state.email }],
      source: { ip: '10.0.0.1', userAgent: 'bench', requestId: `r${seq}`, sessionId: null },
      metadata: {},
    };
    const hash = eventHash(event, seq, prev);
    events.push({
      ...event,
      chainSeq: seq,
      globalSeq: firstGlobalSeq + seq - 1,
      hashAlg: 'audit/v1',
      prevHash: prev.toString('hex'),
      hash: hash.toString('hex'),
      recordedAt: event.occurredAt,
      batchTreeSize: firstGlobalSeq + length - 1,
      keyId: null,
      keySetId: 'default',
      integrity: null,
    });
    prev = hash;
  }
  return events;
}

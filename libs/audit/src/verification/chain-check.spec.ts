import { eventHash, EVENT_HASH_ALG, GENESIS_HASH } from '../crypto/event-hash';
import type { AuditEvent, SealedAuditEvent } from '../events/audit-event';
import { ChainCheck, hashVerdict, type StoredLink } from './chain-verifier';

const fields = (n: number) =>
  ({
    id: `e${n}`,
    occurredAt: `2026-11-22T10:00:0${n}.000Z`,
    actor: { type: 'USER', id: 'u1', display: null },
    action: 'UPDATE',
    entityType: 'User',
    entityId: 'u1',
    tenantId: 'acme',
    module: null,
    transactionCode: null,
    before: { n: n - 1 },
    after: { n },
    changes: [{ field: 'n', before: n - 1, after: n }],
    patch: [{ op: 'replace', path: '/n', value: n }],
    source: { ip: null, userAgent: null, requestId: null, sessionId: null },
    metadata: {},
    operationId: null,
    origin: null,
    database: null,
  }) satisfies AuditEvent;

/** Events 1..count chained from `start`, sealed for real, as a reader maps them (hashes as hex). */
function chain(
  count: number,
  start: { chainSeq: number; hash: Buffer } = { chainSeq: 0, hash: GENESIS_HASH },
): SealedAuditEvent[] {
  const events: SealedAuditEvent[] = [];
  let prev = start.hash;
  for (let n = start.chainSeq + 1; n <= start.chainSeq + count; n++) {
    const hash = eventHash(fields(n), n, prev);
    events.push({
      ...fields(n),
      recordedAt: '2026-11-22T10:00:09.000Z',
      chainSeq: n,
      globalSeq: n,
      hashAlg: EVENT_HASH_ALG,
      prevHash: prev.toString('hex'),
      hash: hash.toString('hex'),
      batchTreeSize: n,
      keyId: 'k1',
      keySetId: 'default',
      integrity: null,
    });
    prev = hash;
  }
  return events;
}

const bytesLink = (e: SealedAuditEvent): StoredLink => ({
  id: e.id,
  chainSeq: e.chainSeq,
  hashAlg: e.hashAlg,
  prevHash: Buffer.from(e.prevHash, 'hex'),
  hash: Buffer.from(e.hash, 'hex'),
});

/** The report of a ChainCheck fed each event as its own (hex) link, or as a link of bytes. */
function checked(
  events: SealedAuditEvent[],
  as: 'hex' | 'bytes',
  head: { lastSeq: number; lastHash: Buffer | null } | null,
  start?: { chainSeq: number; hash: Buffer },
) {
  const check = new ChainCheck(start);
  for (const e of events) check.add(as === 'hex' ? e : bytesLink(e), hashVerdict(e, e));
  return check.end(head);
}

const headOf = (events: SealedAuditEvent[]) => ({
  lastSeq: events[events.length - 1].chainSeq,
  lastHash: Buffer.from(events[events.length - 1].hash, 'hex'),
});

describe('ChainCheck over hex links (a reader’s mapped events) and links of bytes', () => {
  it.each(['hex', 'bytes'] as const)('verifies an honest chain from genesis, its links as %s', (as) => {
    const events = chain(4);
    expect(checked(events, as, headOf(events))).toEqual({
      valid: true,
      checkedEvents: 4,
      headSeq: 4,
      failures: [],
    });
  });

  it('continues from a position given as bytes (an archive cut) with hex links', () => {
    const all = chain(5);
    const cut = { chainSeq: 2, hash: Buffer.from(all[1].hash, 'hex') };
    expect(checked(all.slice(2), 'hex', headOf(all), cut).valid).toBe(true);
    const wrongCut = { chainSeq: 2, hash: Buffer.alloc(32, 9) };
    expect(checked(all.slice(2), 'hex', headOf(all), wrongCut).failures).toMatchObject([
      { chainSeq: 3, reason: 'BROKEN_LINK' },
    ]);
  });

  it.each(['hex', 'bytes'] as const)(
    'gives the same failures for swapped, relinked and cut chains (%s)',
    (as) => {
      const events = chain(4);
      const swapped = [events[0], events[2], events[1], events[3]];
      // Each moved event is out of sequence and off its link; the last one follows the wrong event.
      expect(checked(swapped, as, headOf(events)).failures.map((f) => [f.chainSeq, f.reason])).toEqual([
        [2, 'SEQUENCE_GAP'],
        [2, 'BROKEN_LINK'],
        [3, 'SEQUENCE_GAP'],
        [3, 'BROKEN_LINK'],
        [4, 'SEQUENCE_GAP'],
        [4, 'BROKEN_LINK'],
      ]);
      const relinked = events.map((e, i) => (i === 2 ? { ...e, prevHash: events[0].hash } : e));
      expect(checked(relinked, as, headOf(events)).failures).toMatchObject([
        { chainSeq: 3, reason: 'BROKEN_LINK' },
        { chainSeq: 3, reason: 'HASH_MISMATCH' },
      ]);
      expect(checked(events.slice(0, 3), as, headOf(events)).failures).toMatchObject([
        { chainSeq: 4, reason: 'HEAD_MISMATCH' },
      ]);
    },
  );

  it('compares the end with the head row’s hash, and reports a head with none', () => {
    const events = chain(3);
    const otherHash = { lastSeq: 3, lastHash: Buffer.alloc(32, 1) };
    expect(checked(events, 'hex', otherHash).failures).toMatchObject([
      { chainSeq: 4, reason: 'HEAD_MISMATCH' },
    ]);
    expect(checked(events, 'hex', { lastSeq: 3, lastHash: null }).failures).toMatchObject([
      { chainSeq: 4, reason: 'HEAD_MISMATCH' },
    ]);
    expect(checked(events, 'hex', null).failures).toMatchObject([{ chainSeq: 1, reason: 'MISSING_HEAD' }]);
  });
});

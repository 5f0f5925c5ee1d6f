import type { CapturedChange } from '../capture/captured-row';
import { eventHash, GENESIS_HASH } from '../crypto/event-hash';
import type { AuditEvent, JsonObject } from '../events/audit-event';
import { normalizeEvent } from '../events/normalize-event';
import {
  chainEntities,
  chainHeadUpdates,
  chainLinks,
  eventsOf,
  withDrift,
  type DriftEventOf,
} from './chain-builder';

let counter = 0;
const event = (
  entityId: string,
  before: JsonObject | null,
  after: JsonObject | null,
  action = 'UPDATE',
): AuditEvent =>
  normalizeEvent({
    id: `01936b2e-0000-7000-8000-${String(++counter).padStart(12, '0')}`,
    occurredAt: '2026-11-22T10:00:00.000Z',
    actor: { type: 'USER', id: 'u1', display: null },
    action,
    entityType: 'Order',
    entityId,
    tenantId: null,
    module: null,
    transactionCode: null,
    before,
    after,
    changes: [],
    patch: [],
    source: { ip: null, userAgent: null, requestId: null, sessionId: null },
    metadata: {},
  });

/** Records its calls; the drift event carries what it was built from, so a test can check it. */
const driftRecorder = () => {
  const calls: { event: AuditEvent; expected: JsonObject; fields: string[] }[] = [];
  const driftEventOf: DriftEventOf = (ev, expected, fields) => {
    calls.push({ event: ev, expected, fields });
    return { ...event(ev.entityId, expected, ev.before, 'DRIFT_DETECTED'), metadata: { fields } };
  };
  return { calls, driftEventOf };
};

const noDrift: DriftEventOf = () => {
  throw new Error('no drift expected');
};

describe('chainLinks', () => {
  it('starts a new chain at 1 on the genesis hash, each link on the previous hash', () => {
    const [a, b, c] = [
      event('o1', null, { n: 1 }),
      event('o1', { n: 1 }, { n: 2 }),
      event('o1', { n: 2 }, { n: 3 }),
    ];
    const links = chainLinks([a, b, c], 0, null);
    expect(links.map((l) => l.chainSeq)).toEqual([1, 2, 3]);
    expect(links.map((l) => l.event)).toEqual([a, b, c]);
    expect(links[0].prevHash.equals(GENESIS_HASH)).toBe(true);
    expect(links[1].prevHash.equals(links[0].hash)).toBe(true);
    expect(links[2].prevHash.equals(links[1].hash)).toBe(true);
    // Each hash covers the event, its position and the previous hash, as a verifier recomputes it.
    for (const l of links) expect(l.hash.equals(eventHash(l.event, l.chainSeq, l.prevHash))).toBe(true);
    expect(new Set(links.map((l) => l.hash.toString('hex'))).size).toBe(3);
  });

  it('continues from a chain head: the next seq, on the head hash', () => {
    const head = Buffer.alloc(32, 7);
    const ev = event('o1', { n: 41 }, { n: 42 });
    const [link] = chainLinks([ev], 41, head);
    expect(link.chainSeq).toBe(42);
    expect(link.prevHash.equals(head)).toBe(true);
    expect(link.hash.equals(eventHash(ev, 42, head))).toBe(true);
    // The same event at the start of a chain is a different link: the head is bound into the hash.
    expect(link.hash.equals(chainLinks([ev], 0, null)[0].hash)).toBe(false);
  });

  it('chains nothing from no events', () => {
    expect(chainLinks([], 5, Buffer.alloc(32, 1))).toEqual([]);
  });
});

describe('withDrift', () => {
  it('precedes an event whose before differs from the stored after with its DRIFT_DETECTED event', () => {
    const { calls, driftEventOf } = driftRecorder();
    const stored = { status: 'open', total: 10 };
    const ev = event('o1', { status: 'held', total: 10 }, { status: 'closed', total: 10 });
    const out = withDrift([ev], stored, undefined, driftEventOf);
    expect(out).toHaveLength(2);
    expect(out[1]).toBe(ev);
    expect(out[0].action).toBe('DRIFT_DETECTED');
    expect(out[0].origin).toBe('ASSERTED');
    expect(calls).toEqual([{ event: ev, expected: stored, fields: ['status'] }]);
  });

  it('finds no drift when each before matches the previous after, or when there is no stored state', () => {
    const a = event('o1', { status: 'open' }, { status: 'held' });
    const b = event('o1', { status: 'held' }, { status: 'closed' });
    expect(withDrift([a, b], { status: 'open' }, undefined, noDrift)).toEqual([a, b]);
    expect(withDrift([a, b], null, undefined, noDrift)).toEqual([a, b]);
  });

  it('compares each event with the one before it in the batch, skipping domain events', () => {
    const { calls, driftEventOf } = driftRecorder();
    const a = event('o1', { status: 'open' }, { status: 'held' });
    const domain = event('o1', null, null, 'SHIPPED');
    const b = event('o1', { status: 'open' }, { status: 'closed' });
    const out = withDrift([a, domain, b], { status: 'open' }, undefined, driftEventOf);
    expect(out.map((e) => e.action)).toEqual(['UPDATE', 'SHIPPED', 'DRIFT_DETECTED', 'UPDATE']);
    expect(calls).toEqual([{ event: b, expected: { status: 'held' }, fields: ['status'] }]);
  });

  it('compares values as `comparable` gives them', () => {
    const ev = event('o1', { email: 'B@x.org' }, { email: 'c@x.org' });
    const lower = (_: string, value: unknown) => (typeof value === 'string' ? value.toLowerCase() : value);
    expect(withDrift([ev], { email: 'b@x.org' }, lower, noDrift)).toEqual([ev]);
    expect(withDrift([ev], { email: 'b@x.org' }, undefined, driftRecorder().driftEventOf)).toHaveLength(2);
  });
});

describe('eventsOf', () => {
  it('gives each captured change the record state so far, and drops a change that yields nothing', () => {
    const seen: (JsonObject | null | undefined)[] = [];
    const change =
      (after: JsonObject | null, action = 'UPDATE'): CapturedChange =>
      (state) => {
        seen.push(state);
        if (action !== 'UPDATE') return event('o1', null, null, action);
        return after ? event('o1', state ?? null, after) : null;
      };
    const asserted = event('o1', null, null, 'SHIPPED');
    const { events, captured } = eventsOf(
      [change({ n: 1 }), asserted, change(null), change(null, 'LINKED'), change({ n: 2 })],
      undefined,
    );
    // Neither the dropped change nor one without snapshots moves the state.
    expect(seen).toEqual([undefined, { n: 1 }, { n: 1 }, { n: 1 }]);
    expect(events.map((e) => e.action)).toEqual(['UPDATE', 'SHIPPED', 'LINKED', 'UPDATE']);
    expect(events.map((e) => e.after)).toEqual([{ n: 1 }, null, null, { n: 2 }]);
    expect(events[1]).toBe(asserted);
    expect(captured).toEqual([events[0], events[2], events[3]]);
  });

  it('starts from the stored state', () => {
    let given: JsonObject | null | undefined;
    eventsOf(
      [
        (state) => {
          given = state;
          return null;
        },
      ],
      { n: 9 },
    );
    expect(given).toEqual({ n: 9 });
  });
});

describe('chainEntities', () => {
  it('chains several records of one batch, each on its own head, with its own drift; empty records get no group', () => {
    const { calls, driftEventOf } = driftRecorder();
    const headB = Buffer.alloc(32, 2);
    const a1 = event('a', null, { v: 1 }, 'CREATE');
    const b1 = event('b', { v: 5 }, { v: 6 });
    const b2 = event('b', { v: 6 }, { v: 7 });
    const groups = chainEntities(
      [
        { events: [a1], lastSeq: 0, lastHash: null, previousAfter: null },
        { events: [], lastSeq: 3, lastHash: Buffer.alloc(32, 3), previousAfter: { v: 0 } },
        { events: [b1, b2], lastSeq: 9, lastHash: headB, previousAfter: { v: 4 } },
      ],
      undefined,
      driftEventOf,
    );
    expect(groups).toHaveLength(2);
    const [ga, gb] = groups;
    expect(ga.map((l) => [l.event, l.chainSeq])).toEqual([[a1, 1]]);
    expect(ga[0].prevHash.equals(GENESIS_HASH)).toBe(true);
    // b's stored after ({v: 4}) is not b1's before ({v: 5}): a drift event, chained first.
    expect(gb.map((l) => [l.event.action, l.chainSeq])).toEqual([
      ['DRIFT_DETECTED', 10],
      ['UPDATE', 11],
      ['UPDATE', 12],
    ]);
    expect(gb[0].prevHash.equals(headB)).toBe(true);
    expect(gb[1].prevHash.equals(gb[0].hash)).toBe(true);
    expect(calls.map((c) => [c.event, c.expected])).toEqual([[b1, { v: 4 }]]);

    expect(chainHeadUpdates(groups)).toEqual([
      { entityType: 'Order', entityId: 'a', lastSeq: 1, lastHash: ga[0].hash },
      { entityType: 'Order', entityId: 'b', lastSeq: 12, lastHash: gb[2].hash },
    ]);
  });
});

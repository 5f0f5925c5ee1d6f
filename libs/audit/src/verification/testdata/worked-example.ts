import type { AuditEvent } from '../../events/audit-event';
import type { BundleSelection } from '../../export/bundle-manifest';

/**
 * The inputs of the worked example in docs/integrity.md §16: two events of one invoice, sealed in
 * one batch on a fresh log, exported as a bundle. Every value in the example follows from these.
 */

/** The log origin, which is also the signing key's name (the library's default). */
export const EXAMPLE_ORIGIN = 'audit-ledger/log';
export const EXAMPLE_KEY_SET = 'default';

/**
 * The Ed25519 seed of RFC 8032 §7.1 TEST 1, so a reader can check the public key against the RFC.
 * A published test key: it signs nothing but this example.
 */
export const EXAMPLE_SEED = Buffer.from(
  '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  'hex',
);

/** When the key was published (its `notBefore`). */
export const EXAMPLE_KEY_NOT_BEFORE = '2026-11-22T09:00:00.000Z';

/** When the worker sealed the batch: each event's `recordedAt` and the batch statement's time. */
export const EXAMPLE_SEALED_AT = '2026-11-22T10:00:06.000Z';

/** When the bundle was exported: the manifest's `createdAt` and the seal's time. */
export const EXAMPLE_EXPORTED_AT = '2026-11-23T08:00:00.000Z';

export const EXAMPLE_SELECTION: BundleSelection = {
  from: '2026-11-22T00:00:00.000Z',
  to: '2026-11-23T00:00:00.000Z',
  entityType: null,
  tenantId: null,
};

/** The two recorded events, chain positions 1 and 2 of `Invoice inv-1`, leaves 0 and 1 of the log. */
export const EXAMPLE_EVENTS: AuditEvent[] = [
  {
    id: '01936b2e-0000-7000-8000-000000000101',
    occurredAt: '2026-11-22T10:00:00.000Z',
    actor: { type: 'USER', id: 'u1', display: 'alice' },
    action: 'CREATE',
    entityType: 'Invoice',
    entityId: 'inv-1',
    tenantId: 'acme',
    module: null,
    transactionCode: null,
    before: null,
    after: { status: 'draft' },
    changes: [{ field: 'status', before: null, after: 'draft' }],
    patch: [{ op: 'add', path: '/status', value: 'draft' }],
    source: { ip: null, userAgent: null, requestId: 'r1', sessionId: null },
    metadata: {},
    operationId: '01936b2e-0000-7000-8000-0000000001aa',
    origin: 'APP',
    database: { transactionId: '1001', role: 'app', time: '2026-11-22T10:00:00.002Z' },
  },
  {
    id: '01936b2e-0000-7000-8000-000000000102',
    occurredAt: '2026-11-22T10:00:05.000Z',
    actor: { type: 'USER', id: 'u1', display: 'alice' },
    action: 'UPDATE',
    entityType: 'Invoice',
    entityId: 'inv-1',
    tenantId: 'acme',
    module: null,
    transactionCode: null,
    before: { status: 'draft' },
    after: { status: 'sent' },
    changes: [{ field: 'status', before: 'draft', after: 'sent' }],
    patch: [{ op: 'replace', path: '/status', value: 'sent' }],
    source: { ip: null, userAgent: null, requestId: 'r2', sessionId: null },
    metadata: {},
    operationId: '01936b2e-0000-7000-8000-0000000001bb',
    origin: 'APP',
    database: { transactionId: '1002', role: 'app', time: '2026-11-22T10:00:05.001Z' },
  },
];

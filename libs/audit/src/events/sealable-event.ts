import { PoisonEventError } from '../errors/poison-event.error';
import type { AuditEvent } from './audit-event';
import { normalizeEvent } from './normalize-event';

/** An outbox row as the sealer reads it. */
export interface OutboxRecord {
  id: string;
  entityType: string;
  entityId: string;
  payload: unknown;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ACTOR_TYPES = new Set(['USER', 'SYSTEM', 'API_KEY']);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isOptionalText = (v: unknown) => v === undefined || v === null || typeof v === 'string';
const isOptionalObject = (v: unknown) => v === undefined || v === null || isObject(v);
const isOptionalArray = (v: unknown) => v === undefined || v === null || Array.isArray(v);

/**
 * The outbox payload as the event the sealer hashes and stores, or a PoisonEventError naming each
 * member that is wrong (never its value: payloads stay out of logs). The outbox may be written by
 * another producer or an older version, so the sealer trusts nothing about it; what it rejects
 * here would otherwise fail deep in hashing or in PostgreSQL, on every retry.
 */
export function toSealableEvent(row: OutboxRecord): AuditEvent {
  const { payload, entityType, entityId } = row;
  const e = isObject(payload) ? payload : {};
  const actor = isObject(e.actor) ? e.actor : {};
  const problems = [
    !isObject(payload) && 'the payload is not an object',
    !(typeof e.id === 'string' && UUID.test(e.id)) && 'id is not a UUID',
    e.id !== row.id && 'id differs from the outbox row',
    !(isText(e.occurredAt) && !Number.isNaN(Date.parse(e.occurredAt))) && 'occurredAt is not a timestamp',
    !(isText(actor.type) && ACTOR_TYPES.has(actor.type)) && 'actor.type is not USER, SYSTEM or API_KEY',
    !isText(actor.id) && 'actor.id is missing',
    !isOptionalText(actor.display) && 'actor.display is not text',
    !isText(e.action) && 'action is missing',
    e.entityType !== entityType && 'entityType differs from the outbox row',
    e.entityId !== entityId && 'entityId differs from the outbox row',
    !isOptionalText(e.tenantId) && 'tenantId is not text',
    !isOptionalText(e.module) && 'module is not text',
    !isOptionalText(e.transactionCode) && 'transactionCode is not text',
    !isOptionalObject(e.before) && 'before is not an object',
    !isOptionalObject(e.after) && 'after is not an object',
    !(isOptionalArray(e.changes) && ((e.changes as unknown[] | null) ?? []).every(isChange)) &&
      'changes is not a list of field changes',
    !isOptionalArray(e.patch) && 'patch is not a list',
    !isOptionalObject(e.source) && 'source is not an object',
    !isOptionalObject(e.metadata) && 'metadata is not an object',
  ].filter((p): p is string => typeof p === 'string');
  if (problems.length > 0) {
    throw new PoisonEventError(`Outbox event ${row.id} cannot be sealed: ${problems.join('; ')}.`);
  }
  return normalizeEvent(payload as AuditEvent);
}

function isChange(c: unknown): boolean {
  return isObject(c) && isText(c.field);
}

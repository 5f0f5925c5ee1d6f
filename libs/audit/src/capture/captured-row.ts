import { isLosslessNumber, isSafeNumber, parse as parseLossless } from 'lossless-json';
import { MASKED_VALUE } from '../audit.constants';
import { PoisonEventError } from '../errors/poison-event.error';
import type {
  AuditActor,
  AuditEvent,
  AuditSource,
  DatabaseFacts,
  FieldChange,
  JsonObject,
  JsonPatchOperation,
} from '../events/audit-event';
import { selectFields } from './entity-snapshot';
import type { FieldMasker } from './field-masker';
import { scalarText } from './scalar-text';
import {
  boundJson,
  boundText,
  DEFAULT_SEALED_STRING_BYTES,
  fitText,
  IDENTIFIER_BYTES,
} from './sealed-bounds';
import { fieldChanges, jsonPatch } from './snapshot-diff';

/**
 * How one property of an entity is read from a captured row (column names, as `to_jsonb(row)`
 * writes them): `text` keeps a number's exact digits (decimals, bigints: MikroORM gives them as
 * strings), `date` becomes ISO-8601 UTC, `value` is plain JSON; an inline embeddable is an object
 * of its members, a to-one relation its key (an array when composite).
 */
export type ShapeProp =
  | { name: string; kind: 'value' | 'text' | 'date'; column: string }
  | { name: string; kind: 'reference'; columns: string[] }
  | { name: string; kind: 'embedded'; members: ShapeProp[] };

/** What the sealer needs to turn an entity's captured rows into snapshots like the unit of work's. */
export interface EntityShape {
  entityType: string;
  props: ShapeProp[];
  /** To-many relations: their state is carried from event to event, changed by relation rows. */
  relations: string[];
  /** Masks by property name: the entity's `@AuditMasked` fields, `maskedFields` and the pattern. */
  masker: FieldMasker;
  only?: string[];
  ignore?: string[];
  tenantField: string;
}

/** The application context `AuditedCallRunner` (or a transaction hook) put in `audit.ctx`. */
export interface CaptureContext {
  operationId: string;
  actor: AuditActor;
  tenantId: string | null;
  source: AuditSource;
  /** The `@Auditable` call's label, for its own entity's rows; null in a plain transaction. */
  action: string | null;
  entityType: string | null;
  /** The call's entity id; null when it creates one (its inserted rows take the action). */
  entityId: string | null;
  module: string | null;
  transactionCode: string | null;
  metadata: JsonObject | null;
  only?: string[] | null;
  ignore?: string[] | null;
}

/** A captured outbox row as the sealer reads it: the payload's text and what the database stamped. */
export interface CapturedRow {
  id: string;
  entityType: string;
  entityId: string;
  /** The payload as PostgreSQL wrote it (parsed here, so no number loses a digit). */
  payloadText: string;
  database: DatabaseFacts;
}

interface RowPayload {
  op: 'INSERT' | 'UPDATE' | 'DELETE';
  old: JsonObject | null;
  new: JsonObject | null;
  ctx: CaptureContext | null;
  masked: string[];
  maskedChanged: string[];
}

interface RelationPayload {
  op: 'RELATION';
  ctx: CaptureContext | null;
  relation: string;
  added?: string | null;
  removed?: string | null;
}

/**
 * A captured change before its place in the chain is known (a relation needs the record's state).
 * `previousAfter`: the record's state so far; null once deleted; undefined when its chain holds
 * no state (a record that existed before its table was captured). Null for a relation change of
 * a record already deleted (a cascade deletes children after their parent): nothing to record.
 */
export type CapturedChange = (previousAfter: JsonObject | null | undefined) => AuditEvent | null;

const ROW_ACTIONS = { INSERT: 'CREATE', UPDATE: 'UPDATE', DELETE: 'DELETE' } as const;
const ACTION_NAME = /^[A-Z][A-Z0-9_]*$/;
const APP_ACTORS = new Set(['USER', 'SYSTEM', 'API_KEY']);
const EMPTY_SOURCE: AuditSource = { ip: null, userAgent: null, requestId: null, sessionId: null };

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const optionalText = (v: unknown) => v === undefined || v === null || typeof v === 'string';

/** Plain JSON: numbers as numbers where that loses nothing, else their digits; object keys sorted. */
function plain(value: unknown): unknown {
  if (isLosslessNumber(value)) return isSafeNumber(value.value) ? Number(value.value) : value.value;
  if (Array.isArray(value)) return value.map(plain);
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const key of Object.keys(value).sort()) out[key] = plain(value[key]);
    return out;
  }
  return value ?? null;
}

function read(prop: ShapeProp, row: JsonObject, used: Set<string>): unknown {
  switch (prop.kind) {
    case 'embedded': {
      const members = prop.members.map((m) => [m.name, read(m, row, used)] as const);
      if (members.every(([, v]) => v === null)) return null;
      return Object.fromEntries(members.sort(([a], [b]) => (a < b ? -1 : 1)));
    }
    case 'reference': {
      const key = prop.columns.map((c) => (used.add(c), plain(row[c])));
      return key.length === 1 ? key[0] : key.some((k) => k === null) ? null : key;
    }
    default: {
      used.add(prop.column);
      const value = row[prop.column];
      if (value === null || value === undefined) return null;
      if (prop.kind === 'text') return isLosslessNumber(value) ? value.value : plain(value);
      if (prop.kind === 'date' && typeof value === 'string') {
        const at = new Date(value);
        return Number.isNaN(at.getTime()) ? value : at.toISOString();
      }
      return plain(value);
    }
  }
}

/**
 * A captured row image as the entity's snapshot: properties by name, as the unit of work would
 * have recorded them; columns no property maps (added in SQL) under their own names; masked
 * columns (dropped by the trigger) as `[MASKED]`.
 */
export function rowSnapshot(shape: EntityShape, row: JsonObject, masked: string[]): JsonObject {
  const used = new Set<string>();
  const out: JsonObject = {};
  const maskedColumns = new Set(masked);
  for (const prop of shape.props) {
    const columns = columnsOf(prop);
    out[prop.name] = columns.some((c) => maskedColumns.has(c)) ? MASKED_VALUE : read(prop, row, used);
  }
  for (const column of Object.keys(row).sort()) {
    if (!used.has(column) && !(column in out)) out[column] = plain(row[column]);
  }
  return out;
}

/** The property names whose columns are in `columns`. */
function propsOfColumns(shape: EntityShape, columns: string[]): string[] {
  const set = new Set(columns);
  const names = shape.props.filter((p) => columnsOf(p).some((c) => set.has(c))).map((p) => p.name);
  const mapped = new Set(shape.props.flatMap(columnsOf));
  return [...names, ...columns.filter((c) => !mapped.has(c))].sort();
}

function columnsOf(prop: ShapeProp): string[] {
  if (prop.kind === 'embedded') return prop.members.flatMap(columnsOf);
  return prop.kind === 'reference' ? prop.columns : [prop.column];
}

function problem(row: CapturedRow, what: string): PoisonEventError {
  return new PoisonEventError(`Captured row ${row.id} cannot be sealed: ${what}.`);
}

function parseContext(row: CapturedRow, ctx: unknown): CaptureContext | null {
  if (ctx === null || ctx === undefined) return null;
  const c = isObject(ctx) ? (plain(ctx) as JsonObject) : null;
  const actor = c && isObject(c.actor) ? c.actor : null;
  const source = c && isObject(c.source) ? c.source : {};
  const ok =
    c &&
    typeof c.operationId === 'string' &&
    actor &&
    typeof actor.type === 'string' &&
    APP_ACTORS.has(actor.type) &&
    typeof actor.id === 'string' &&
    actor.id.length > 0 &&
    optionalText(actor.display) &&
    optionalText(c.tenantId) &&
    (c.action === null ||
      c.action === undefined ||
      (typeof c.action === 'string' && ACTION_NAME.test(c.action))) &&
    optionalText(c.entityType) &&
    optionalText(c.entityId) &&
    optionalText(c.module) &&
    optionalText(c.transactionCode) &&
    (c.metadata === undefined || c.metadata === null || isObject(c.metadata)) &&
    ['ip', 'userAgent', 'requestId', 'sessionId'].every((k) => optionalText(source[k]));
  if (!ok) throw problem(row, 'its application context (audit.ctx) is not one the library writes');
  // NOTE: who and from where are bounded as the factory bounds them; the call's entity and action
  // are compared with the row's, and its metadata was bounded when the context was made.
  const id = (v: unknown) => (typeof v === 'string' ? boundText(v, IDENTIFIER_BYTES) : v);
  const context = c as unknown as CaptureContext;
  return {
    ...context,
    actor: {
      ...context.actor,
      id: id(context.actor.id) as string,
      display: id(context.actor.display) as string | null,
    },
    tenantId: id(context.tenantId) as string | null,
    module: id(context.module) as string | null,
    transactionCode: id(context.transactionCode) as string | null,
    source: Object.fromEntries(Object.entries(source).map(([k, v]) => [k, id(v)])) as unknown as AuditSource,
  };
}

function parsePayload(row: CapturedRow): RowPayload | RelationPayload {
  let payload: unknown;
  try {
    payload = parseLossless(row.payloadText);
  } catch {
    throw problem(row, 'its payload is not JSON');
  }
  if (!isObject(payload)) throw problem(row, 'its payload is not an object');
  const ctx = parseContext(row, payload.ctx);
  if (payload.op === 'RELATION') {
    const member = (v: unknown) => v === undefined || v === null || typeof v === 'string';
    if (typeof payload.relation !== 'string' || !member(payload.added) || !member(payload.removed)) {
      throw problem(row, 'its relation change is malformed');
    }
    return { ...(payload as unknown as RelationPayload), ctx };
  }
  const image = (v: unknown) => v === null || v === undefined || isObject(v);
  const names = (v: unknown) => Array.isArray(v) && v.every((n) => typeof n === 'string');
  if (
    !(payload.op === 'INSERT' || payload.op === 'UPDATE' || payload.op === 'DELETE') ||
    !image(payload.old) ||
    !image(payload.new) ||
    (payload.op !== 'INSERT' && !isObject(payload.old)) ||
    (payload.op !== 'DELETE' && !isObject(payload.new)) ||
    !names(payload.masked) ||
    !names(payload.maskedChanged)
  ) {
    throw problem(row, 'its row change is malformed');
  }
  return { ...(payload as unknown as RowPayload), ctx };
}

/** The parts of an event every captured change shares: who, when, from where, in which operation. */
function common(row: CapturedRow, ctx: CaptureContext | null, ownAction: boolean) {
  return {
    id: row.id,
    occurredAt: new Date(row.database.time).toISOString(),
    actor: ctx
      ? { type: ctx.actor.type, id: ctx.actor.id, display: ctx.actor.display ?? null }
      : { type: 'DATABASE' as const, id: row.database.role, display: null },
    entityType: row.entityType,
    entityId: row.entityId,
    module: ctx?.module ?? null,
    transactionCode: ctx?.transactionCode ?? null,
    source: ctx ? { ...EMPTY_SOURCE, ...ctx.source } : EMPTY_SOURCE,
    metadata: (ownAction ? ctx?.metadata : null) ?? {},
    operationId: ctx?.operationId ?? null,
    origin: ctx ? ('APP' as const) : ('DATABASE' as const),
    database: row.database,
  };
}

const ROW_OPS: Record<string, string> = { CREATE: 'INSERT', UPDATE: 'UPDATE', DELETE: 'DELETE' };

/**
 * Whether a row is the `@Auditable` call's own, which takes the call's action: the record it names,
 * or, when it names none (a create, a bulk operation), each row of its entity type, except that a
 * plain CREATE/UPDATE/DELETE call labels only the rows of that kind (a row's own kind is the truth).
 */
function isOwnRow(ctx: CaptureContext | null, row: CapturedRow, op: RowPayload['op'] | 'RELATION'): boolean {
  if (!ctx?.action || ctx.entityType !== row.entityType) return false;
  if (ctx.entityId !== null) return ctx.entityId === row.entityId;
  const implied = ROW_OPS[ctx.action];
  return implied === undefined || implied === op;
}

function tenantOf(shape: EntityShape, ctx: CaptureContext | null, ...snapshots: (JsonObject | null)[]) {
  for (const s of snapshots) {
    const tenant = scalarText(s?.[shape.tenantField]);
    if (tenant !== null) return fitText(tenant, IDENTIFIER_BYTES);
  }
  return ctx?.tenantId ?? null;
}

/** Relation state the previous event recorded: carried into a row change's snapshots. */
function carried(shape: EntityShape, previousAfter: JsonObject | null | undefined): JsonObject {
  const out: JsonObject = {};
  for (const name of shape.relations)
    if (previousAfter && name in previousAfter) out[name] = previousAfter[name];
  return out;
}

/** Snapshots, changes and patch of a change, masked; masked fields that changed say so, never how. */
function diffed(
  shape: EntityShape,
  before: JsonObject | null,
  after: JsonObject | null,
  maskedChanged: string[],
) {
  // Diffed before masking (as the unit of work's events are): a masked member nested in a JSON
  // column still shows that it changed. Columns the trigger masked are `[MASKED]` on both sides.
  const b = before && selectFields(before, shape.only, shape.ignore);
  const a = after && selectFields(after, shape.only, shape.ignore);
  const changes: FieldChange[] = fieldChanges(b, a, shape.masker).map((c) => ({
    ...c,
    field: fitText(c.field, IDENTIFIER_BYTES),
  }));
  const patch: JsonPatchOperation[] = jsonPatch(b, a, shape.masker);
  for (const field of maskedChanged) {
    if (!a || !(field in a) || changes.some((c) => c.field === field)) continue;
    changes.push({ field, before: MASKED_VALUE, after: MASKED_VALUE });
    patch.push({
      op: 'replace',
      path: `/${field.replace(/~/g, '~0').replace(/\//g, '~1')}`,
      value: MASKED_VALUE,
    });
  }
  changes.sort((x, y) => (x.field < y.field ? -1 : x.field > y.field ? 1 : 0));
  return { before: shape.masker.mask(b), after: shape.masker.mask(a), changes, patch };
}

/**
 * A captured outbox row as the change the sealer chains: a row change of the record itself, or a
 * member added to or removed from one of its to-many relations. Who and why come from the
 * application's context when the change went through it (origin APP), else the database role
 * (origin DATABASE); when and in which transaction always from the database. Throws
 * PoisonEventError for a payload the capture trigger does not write.
 */
export function capturedChange(
  row: CapturedRow,
  shape: EntityShape,
  maxBytes = DEFAULT_SEALED_STRING_BYTES,
): CapturedChange {
  const payload = parsePayload(row);
  // NOTE: the row's own values are bounded here, once (capture/sealed-bounds.ts); the state
  // carried from the previous event (previousAfter) was bounded when that event was made.
  const member = (v: string | null | undefined) => (v ? boundText(v, maxBytes) : v);
  const image = (v: JsonObject | null) =>
    v && (boundJson(v, maxBytes, (key) => shape.masker.isMaskedName(key), MASKED_VALUE) as JsonObject);
  const ctx = payload.ctx;
  if (payload.op === 'RELATION') {
    if (!shape.relations.includes(payload.relation)) {
      throw problem(row, `${row.entityType} has no to-many relation "${payload.relation}"`);
    }
    return (previousAfter) => {
      if (previousAfter === null) return null;
      const members = Array.isArray(previousAfter?.[payload.relation])
        ? (previousAfter[payload.relation] as unknown[]).filter((m): m is string => typeof m === 'string')
        : [];
      const next = new Set(members);
      const removed = member(payload.removed);
      const added = member(payload.added);
      if (removed) next.delete(removed);
      if (added) next.add(added);
      const before = previousAfter ?? {};
      const after = { ...before, [payload.relation]: [...next].sort() };
      const own = isOwnRow(ctx, row, 'RELATION');
      return {
        ...common(row, ctx, own),
        action: own ? ctx!.action! : 'UPDATE',
        tenantId: tenantOf(shape, ctx, after),
        // Whole snapshots before and after, so a record's state at any time (entityAt) is its
        // patches replayed, relations included.
        ...diffed({ ...shape, only: undefined, ignore: undefined }, before, after, []),
        metadata: {
          ...(own ? (ctx?.metadata ?? {}) : {}),
          relation: {
            field: payload.relation,
            added: added ? [added] : [],
            removed: removed ? [removed] : [],
          },
        },
      };
    };
  }
  const own = isOwnRow(ctx, row, payload.op);
  const maskedChanged = propsOfColumns(shape, payload.maskedChanged);
  const selection: EntityShape = {
    ...shape,
    only: own && ctx?.only ? ctx.only : shape.only,
    ignore: [...(shape.ignore ?? []), ...(own && ctx?.ignore ? ctx.ignore : [])],
  };
  const oldRow = image(payload.old && rowSnapshot(shape, payload.old, payload.masked));
  const newRow = image(payload.new && rowSnapshot(shape, payload.new, payload.masked));
  return (previousAfter) => {
    const relations = carried(shape, previousAfter);
    const before = oldRow && { ...oldRow, ...relations };
    const after = newRow && { ...newRow, ...relations };
    return {
      ...common(row, ctx, own),
      action: own ? ctx!.action! : ROW_ACTIONS[payload.op],
      tenantId: tenantOf(shape, ctx, after, before),
      ...diffed(selection, before, after, maskedChanged),
    };
  };
}

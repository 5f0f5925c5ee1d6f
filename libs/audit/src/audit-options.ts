import { availableParallelism } from 'node:os';
import type { AuditActor } from './events/audit-event';
import type {
  AuditApiOptions,
  AuditForwardingOptions,
  AuditModuleOptions,
  AuditRequest,
  RequestAuditOptions,
  ResolvedAuditOptions,
  ResolvedForwardingOptions,
} from './audit-options.interface';
import type { PersonalDataPolicy } from './capture/personal-fields';
import { scalarText } from './capture/scalar-text';
import { DEFAULT_SEALED_STRING_BYTES, MIN_SEALED_STRING_BYTES } from './capture/sealed-bounds';
import { InvalidAuditOptionsError } from './errors/invalid-audit-options.error';
import { DirectoryKeyProvider } from './keys/directory.key-provider';
import { DirectoryArchiveSink } from './archive/archive-sink';
import { DirectoryWitness } from './witness/directory.witness';
import { join } from 'node:path';
import { resolveViewerOptions } from './viewer/viewer-options';

const DAY_MS = 24 * 60 * 60 * 1000;
/** The development defaults: directories under the working directory (git-ignore `.audit/`). */
const DEFAULT_KEY_DIR = '.audit/keys';
const DEFAULT_WITNESS_DIR = '.audit/witness';
const DEFAULT_ARCHIVE_DIR = '.audit/archive';
const NOTE_NAME = /^[^\s+]+$/;

/** Default pattern of field names whose values never leave the process. */
export const DEFAULT_MASKED_FIELD_PATTERN = /password|secret|token|api[-_]?key|ssn|credit[-_]?card/i;

type Principal = {
  sub?: unknown;
  id?: unknown;
  username?: unknown;
  name?: unknown;
  email?: unknown;
  type?: unknown;
};

function principalOf(req: AuditRequest): Principal | undefined {
  return req.user && typeof req.user === 'object' ? req.user : undefined;
}

function defaultActorResolver(req: AuditRequest): AuditActor | null {
  const user = principalOf(req);
  const id = scalarText(user?.sub ?? user?.id);
  if (id === null) return null;
  const type = user?.type === 'API_KEY' || user?.type === 'SYSTEM' ? user.type : 'USER';
  return { type, id, display: scalarText(user?.username ?? user?.name ?? user?.email) };
}

/**
 * `req.user.tenantId`: a string (or number) is the tenant, an explicit null means global; a
 * principal without the member (or with a value of another kind) resolves to undefined, which the
 * read guard refuses: a token that lost its claim must not read as global.
 */
function defaultTenantResolver(req: AuditRequest): string | null | undefined {
  const tenantId = (principalOf(req) as { tenantId?: unknown } | undefined)?.tenantId;
  return tenantId === null ? null : (scalarText(tenantId) ?? undefined);
}

function defaultSessionIdResolver(req: AuditRequest): string | null {
  return scalarText((principalOf(req) as { sid?: unknown } | undefined)?.sid);
}

function positiveInt(problems: string[], name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    problems.push(`${name} must be a positive integer (got ${value})`);
  return value;
}

function boundedInt(problems: string[], name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min)
    problems.push(`${name} must be an integer of at least ${min} (got ${value})`);
  return value;
}

const DEFAULT_ROLE_PERMISSIONS = { admin: ['audit:read'], auditor: ['audit:read'] };

function rolesOf(user: { role?: unknown; roles?: unknown } | undefined): string[] {
  const roles: unknown[] = Array.isArray(user?.roles) ? user.roles : [user?.role];
  return roles.filter((r): r is string => typeof r === 'string');
}

function resolveApiOptions(api: AuditApiOptions, problems: string[]): Required<AuditApiOptions> {
  const rolePermissions: Record<string, string[]> = api.rolePermissions ?? DEFAULT_ROLE_PERMISSIONS;
  const defaultPageSize = positiveInt(problems, 'api.defaultPageSize', api.defaultPageSize ?? 50);
  const maxPageSize = positiveInt(problems, 'api.maxPageSize', api.maxPageSize ?? 500);
  if (defaultPageSize > maxPageSize) problems.push('api.defaultPageSize must not exceed api.maxPageSize');
  return {
    readPermission: api.readPermission ?? 'audit:read',
    revertPermission: api.revertPermission ?? 'audit:revert',
    rolePermissions,
    permissionsResolver:
      api.permissionsResolver ??
      ((req) => {
        const user = principalOf(req) as
          { permissions?: unknown; role?: unknown; roles?: unknown } | undefined;
        if (Array.isArray(user?.permissions)) {
          return (user.permissions as unknown[]).filter((p): p is string => typeof p === 'string');
        }
        return rolesOf(user).flatMap((role) => rolePermissions[role] ?? []);
      }),
    defaultPageSize,
    maxPageSize,
    privilegedFields: api.privilegedFields ?? ['role', 'permissions', 'isAdmin'],
    privilegeRevertWindowMs: positiveInt(
      problems,
      'api.privilegeRevertWindowMs',
      api.privilegeRevertWindowMs ?? 24 * 60 * 60 * 1000,
    ),
  };
}

/** Validates `personalData` entries (the module option's, or an `@AuditedEntity`'s) into policies. */
export function resolvePersonalData(
  personalData: AuditModuleOptions['personalData'],
  tenantField: string,
  problems: string[],
): Map<string, PersonalDataPolicy> {
  const policies = new Map<string, PersonalDataPolicy>();
  if (personalData === undefined) return policies;
  if (personalData === null || typeof personalData !== 'object' || Array.isArray(personalData)) {
    problems.push('personalData must map entity types to { fields, subjectField? }');
    return policies;
  }
  for (const [entityType, entry] of Object.entries(personalData)) {
    const at = `personalData.${entityType}`;
    const fields: unknown = entry?.fields;
    if (!Array.isArray(fields) || fields.length === 0) {
      problems.push(`${at}.fields must be a non-empty list of field names`);
      continue;
    }
    // Personal fields match top-level snapshot members; a dot would make change paths ambiguous.
    const bad = fields.filter((f) => typeof f !== 'string' || !/^[^.]+$/.test(f));
    if (bad.length) problems.push(`${at}.fields must be top-level field names (no ".")`);
    if (fields.includes(tenantField))
      problems.push(`${at}.fields cannot hold the tenant field "${tenantField}" (it is stored in clear)`);
    const subjectField = entry.subjectField ?? null;
    if (subjectField !== null && (typeof subjectField !== 'string' || subjectField === ''))
      problems.push(`${at}.subjectField must be a field name`);
    if (subjectField !== null && fields.includes(subjectField))
      problems.push(
        `${at}.subjectField cannot be one of its personal fields (subject ids are stored in clear)`,
      );
    policies.set(entityType, { fields: [...new Set(fields as string[])], subjectField });
  }
  return policies;
}

function resolveSubjectKek(
  option: string | undefined,
  file: string | undefined,
  problems: string[],
): ResolvedAuditOptions['subjectKek'] {
  if (option === undefined || option === '') return { file: file ?? join(DEFAULT_KEY_DIR, 'subject-kek') };
  const trimmed = typeof option === 'string' ? option.trim() : '';
  // NOTE: the message names the setting, never its value: it is key material.
  if (!/^[A-Za-z0-9+/]{43}=$/.test(trimmed))
    problems.push('subjectKeyEncryptionKey must be the base64 form of 32 bytes');
  return { key: Buffer.from(trimmed, 'base64') };
}

/** A sink name: the cursor key, so printable and bounded. */
const SINK_NAME = /^\S{1,200}$/;

function resolveForwarding(
  forwarding: AuditForwardingOptions | undefined,
  problems: string[],
): ResolvedForwardingOptions {
  const sinks = forwarding?.sinks ?? [];
  if (!Array.isArray(sinks)) problems.push('forwarding.sinks must be a list of sinks');
  const names = new Set<string>();
  for (const [i, sink] of (Array.isArray(sinks) ? sinks : []).entries()) {
    const name: unknown = sink?.name;
    if (typeof name !== 'string' || !SINK_NAME.test(name)) {
      problems.push(`forwarding.sinks[${i}].name must be 1-200 characters with no white space`);
    } else if (names.has(name)) {
      problems.push(
        `forwarding.sinks[${i}].name "${name}" is used twice: each sink needs a cursor of its own`,
      );
    } else names.add(name);
    if (typeof sink?.send !== 'function') problems.push(`forwarding.sinks[${i}].send must be a function`);
  }
  const startAt = forwarding?.startAt ?? 'beginning';
  if (startAt !== 'beginning' && startAt !== 'now')
    problems.push(`forwarding.startAt must be 'beginning' or 'now' (got ${String(startAt)})`);
  const retry = {
    minDelayMs: positiveInt(problems, 'forwarding.retry.minDelayMs', forwarding?.retry?.minDelayMs ?? 1000),
    maxDelayMs: positiveInt(problems, 'forwarding.retry.maxDelayMs', forwarding?.retry?.maxDelayMs ?? 60000),
  };
  if (retry.minDelayMs > retry.maxDelayMs)
    problems.push('forwarding.retry.minDelayMs must not exceed forwarding.retry.maxDelayMs');
  return {
    sinks: Array.isArray(sinks) ? sinks : [],
    batchSize: positiveInt(problems, 'forwarding.batchSize', forwarding?.batchSize ?? 500),
    intervalMs: positiveInt(problems, 'forwarding.intervalMs', forwarding?.intervalMs ?? 1000),
    startAt,
    retry,
  };
}

function resolveRequestAudit(
  options: RequestAuditOptions,
  problems: string[],
): ResolvedAuditOptions['requestAudit'] {
  const { enabled = false, filter, seal = false } = options;
  if (typeof enabled !== 'boolean') problems.push('requestAudit.enabled must be a boolean');
  if (filter !== undefined && typeof filter !== 'function')
    problems.push('requestAudit.filter must be a function');
  if (typeof seal !== 'boolean' && typeof seal !== 'function')
    problems.push('requestAudit.seal must be a boolean or a function');
  return {
    enabled,
    filter: filter ?? (() => true),
    seal: seal === true ? () => true : typeof seal === 'function' ? seal : null,
  };
}

/** Validates options once, at the module boundary, and applies the documented defaults. */
export function resolveAuditOptions(options: AuditModuleOptions = {}): ResolvedAuditOptions {
  const problems: string[] = [];
  const fn = (name: keyof AuditModuleOptions) => {
    const value = options[name];
    if (value !== undefined && typeof value !== 'function') problems.push(`${name} must be a function`);
  };
  fn('actorResolver');
  fn('tenantResolver');
  fn('sessionIdResolver');
  if (options.deadLetter?.onDeadLetter !== undefined && typeof options.deadLetter.onDeadLetter !== 'function')
    problems.push('deadLetter.onDeadLetter must be a function');
  if (options.maskedFieldPattern !== undefined && !(options.maskedFieldPattern instanceof RegExp)) {
    problems.push('maskedFieldPattern must be a RegExp');
  }
  if (options.maskedFields !== undefined && !options.maskedFields.every((f) => typeof f === 'string' && f)) {
    problems.push('maskedFields must be a list of non-empty field names');
  }
  if (options.systemActor !== undefined && !options.systemActor.id)
    problems.push('systemActor.id must be set');
  const trust = options.trustProxy;
  if (
    trust !== undefined &&
    !['boolean', 'number', 'string'].includes(typeof trust) &&
    !(Array.isArray(trust) && trust.every((t) => typeof t === 'string'))
  ) {
    problems.push('trustProxy must be a boolean, a hop count, an address or a list of addresses');
  }
  const relay = {
    intervalMs: positiveInt(problems, 'relay.intervalMs', options.relay?.intervalMs ?? 5000),
    graceMs: positiveInt(problems, 'relay.graceMs', options.relay?.graceMs ?? 10000),
    batchSize: positiveInt(problems, 'relay.batchSize', options.relay?.batchSize ?? 500),
  };
  const checkpoint = {
    everyEvents: positiveInt(problems, 'checkpoint.everyEvents', options.checkpoint?.everyEvents ?? 10_000),
    intervalMs: positiveInt(problems, 'checkpoint.intervalMs', options.checkpoint?.intervalMs ?? 10000),
    heartbeatMs: positiveInt(problems, 'checkpoint.heartbeatMs', options.checkpoint?.heartbeatMs ?? 60000),
  };
  const logOrigin = options.logOrigin ?? 'audit-ledger/log';
  if (!NOTE_NAME.test(logOrigin)) problems.push('logOrigin must be non-empty, with no white space or "+"');
  const keySetId = options.keySetId ?? 'default';
  if (!/^[A-Za-z0-9._-]+$/.test(keySetId))
    problems.push('keySetId may only hold letters, digits, ".", "_" and "-"');
  const rotation = options.keyRotationIntervalMs ?? 30 * DAY_MS;
  const maxClockSkewMs = positiveInt(problems, 'maxClockSkewMs', options.maxClockSkewMs ?? 300000);
  const maxEventClockSkewMs = positiveInt(
    problems,
    'maxEventClockSkewMs',
    options.maxEventClockSkewMs ?? 60000,
  );
  if (!Number.isInteger(rotation) || rotation < 0)
    problems.push(`keyRotationIntervalMs must be 0 or a positive integer (got ${rotation})`);
  const resolved: ResolvedAuditOptions = {
    maskedFieldPattern: options.maskedFieldPattern ?? DEFAULT_MASKED_FIELD_PATTERN,
    maskedFields: options.maskedFields ?? [],
    actorResolver: options.actorResolver ?? defaultActorResolver,
    tenantResolver: options.tenantResolver ?? defaultTenantResolver,
    sessionIdResolver: options.sessionIdResolver ?? defaultSessionIdResolver,
    trustProxy: trust ?? false,
    requestIdHeader: (options.requestIdHeader ?? 'x-request-id').toLowerCase(),
    systemActor: {
      id: options.systemActor?.id ?? 'system',
      display: options.systemActor?.display ?? options.systemActor?.id ?? 'system',
    },
    tenantField: options.tenantField ?? 'tenantId',
    personalData: resolvePersonalData(options.personalData, options.tenantField ?? 'tenantId', problems),
    subjectKek: resolveSubjectKek(
      options.subjectKeyEncryptionKey,
      options.subjectKeyEncryptionKeyFile,
      problems,
    ),
    inProcessWorker: options.inProcessWorker ?? true,
    workerConcurrency: positiveInt(problems, 'workerConcurrency', options.workerConcurrency ?? 1),
    sealBatchEvents: positiveInt(problems, 'sealBatchEvents', options.sealBatchEvents ?? 2000),
    recordFailures: options.recordFailures ?? false,
    relay,
    jobAttempts: positiveInt(problems, 'jobAttempts', options.jobAttempts ?? 10),
    jobBackoffMs: positiveInt(problems, 'jobBackoffMs', options.jobBackoffMs ?? 500),
    jobLockMs: positiveInt(problems, 'jobLockMs', options.jobLockMs ?? 30000),
    logOrigin,
    keySetId,
    keyProvider: options.keyProvider ?? new DirectoryKeyProvider(DEFAULT_KEY_DIR),
    witness: options.witness ?? new DirectoryWitness(DEFAULT_WITNESS_DIR, { maxClockSkewMs }),
    archiveSink: options.archiveSink ?? new DirectoryArchiveSink(DEFAULT_ARCHIVE_DIR),
    // Not an AuditModuleOptions field: only a test that seals a store as release 0.2 did sets it.
    statementFormat: (options as { statementFormat?: unknown }).statementFormat === 1 ? 1 : 2,
    workingDirectoryDefaults: [
      ...(options.keyProvider ? [] : [`keyProvider (${DEFAULT_KEY_DIR})`]),
      ...(options.witness ? [] : [`witness (${DEFAULT_WITNESS_DIR})`]),
    ],
    checkpoint,
    keyRotationIntervalMs: rotation,
    maxClockSkewMs,
    maxEventClockSkewMs,
    verificationThreads: boundedInt(
      problems,
      'verificationThreads',
      options.verificationThreads ?? Math.min(4, availableParallelism() - 1),
      0,
    ),
    maxSealedStringBytes: boundedInt(
      problems,
      'maxSealedStringBytes',
      options.maxSealedStringBytes ?? DEFAULT_SEALED_STRING_BYTES,
      MIN_SEALED_STRING_BYTES,
    ),
    api: resolveApiOptions(options.api ?? {}, problems),
    deadLetter: {
      maxAttempts: positiveInt(problems, 'deadLetter.maxAttempts', options.deadLetter?.maxAttempts ?? 5),
      onDeadLetter: options.deadLetter?.onDeadLetter ?? (() => undefined),
    },
    forwarding: resolveForwarding(options.forwarding, problems),
    requestAudit: resolveRequestAudit(options.requestAudit ?? {}, problems),
    viewer: resolveViewerOptions(options.viewer, problems),
    health: {
      maxOutboxAgeMs: positiveInt(problems, 'health.maxOutboxAgeMs', options.health?.maxOutboxAgeMs ?? 60000),
      maxCheckpointAgeMs: positiveInt(
        problems,
        'health.maxCheckpointAgeMs',
        options.health?.maxCheckpointAgeMs ?? 3 * checkpoint.heartbeatMs,
      ),
      probeTimeoutMs: positiveInt(problems, 'health.probeTimeoutMs', options.health?.probeTimeoutMs ?? 1000),
    },
  };
  if (problems.length) throw new InvalidAuditOptionsError(problems);
  return resolved;
}

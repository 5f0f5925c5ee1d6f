import { MikroORM, type EntityMetadata } from '@mikro-orm/core';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AUDIT_OPTIONS } from '../audit.constants';
import type { ResolvedAuditOptions } from '../audit-options.interface';
import { resolvePersonalData } from '../audit-options';
import { auditedEntityOptions } from '../decorators/audited-entity.decorator';
import { AuditableMisconfiguredError } from '../errors/auditable-misconfigured.error';
import { AuditEventFactory } from '../events/audit-event.factory';
import { CAPTURE_TRIGGERS, captureTriggerArgs } from '../storage/audit-capture.sql';
import { installedCaptures, type InstalledCapture } from '../storage/capture.store';
import type { EntityShape } from './captured-row';
import { entityShapeOf, keyColumnsOf, maskedColumnsOf } from './entity-shape';
import { sqlOf } from '../storage/sql-session';

/**
 * Which entities the database captures, checked against the entities at startup: a capture
 * trigger whose table, key or masked columns no longer match its entity (a renamed table, a new
 * column that must be masked), one that is not ENABLE ALWAYS, or an `@AuditedEntity` without one,
 * stops the app with the statement that fixes it. Also the shapes the sealer reads captured rows with.
 */
@Injectable()
export class CapturedTables implements OnApplicationBootstrap {
  private readonly logger = new Logger(CapturedTables.name);
  private captured = new Set<string>();
  private joinTables = false;
  private readonly shapes = new Map<string, EntityShape | null>();

  constructor(
    private readonly orm: MikroORM,
    private readonly events: AuditEventFactory,
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
  ) {}

  private loading?: Promise<void>;

  /**
   * Checks at startup. A database that does not answer yet is not a misconfiguration: the check
   * then runs on first use (`ready`), and the CLI reports an unreachable store in its own words.
   */
  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.ready();
    } catch (error) {
      if (error instanceof AuditableMisconfiguredError) throw error;
    }
  }

  /** Resolves once the capture triggers were read and checked (once; again after a failure). */
  ready(): Promise<void> {
    this.loading ??= this.refresh().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }

  /** Reads the capture triggers again and checks them (startup; tests after a migration). */
  async refresh(): Promise<void> {
    const installed = await installedCaptures(sqlOf(this.orm));
    const problems: string[] = [];
    const captured = new Set<string>();
    let joinTables = false;
    const byTable = new Map<string, InstalledCapture[]>();
    for (const t of installed) {
      const key = `${t.schema}.${t.table}`;
      byTable.set(key, [...(byTable.get(key) ?? []), t]);
    }
    for (const [table, triggers] of byTable) {
      const rows = triggers.find((t) => t.trigger === CAPTURE_TRIGGERS.rows);
      const updates = triggers.find((t) => t.trigger === CAPTURE_TRIGGERS.updates);
      if (!rows || !updates || rows.args.join('\0') !== updates.args.join('\0')) {
        problems.push(
          `${table}: its capture triggers are incomplete or disagree; re-run auditCaptureSql for it.`,
        );
        continue;
      }
      for (const t of triggers) {
        if (t.enabled !== 'A') {
          problems.push(
            `${table}: trigger ${t.trigger} is not ENABLE ALWAYS (changes under session_replication_role = replica, or with it disabled, would go unrecorded); ` +
              `run: alter table ${table} enable always trigger ${t.trigger}`,
          );
        }
      }
      const entityType = rows.args[0];
      if (entityType === '') {
        joinTables = true; // a join table: its parents' relations
        continue;
      }
      captured.add(entityType);
      const meta = this.metadataOf(entityType);
      if (!meta) {
        this.logger.warn(
          `${table} is captured as ${entityType}, which this process's MikroORM does not know: its events are sealed only by workers that register the entity.`,
        );
        continue;
      }
      problems.push(...this.mismatches(meta, rows));
    }
    for (const meta of new Set(this.orm.getMetadata().getAll().values())) {
      const declared = auditedEntityOptions(meta.class);
      if (declared?.personalData) this.declarePersonalData(meta.className, declared.personalData, problems);
      if (declared && !captured.has(meta.className)) {
        problems.push(
          `${meta.className} is @AuditedEntity but its table is not captured; add to a migration: ` +
            this.fix(meta, this.expectedMasked(meta, [])),
        );
      }
    }
    if (problems.length > 0) {
      throw new AuditableMisconfiguredError(
        `Row capture does not match the entities, so changes could go unrecorded or leak masked values:\n- ${problems.join('\n- ')}`,
      );
    }
    this.captured = captured;
    this.joinTables = joinTables;
    this.shapes.clear();
  }

  /** An `@AuditedEntity`'s personal data joins the module's policies (declared in one place only). */
  private declarePersonalData(
    entityType: string,
    entry: { fields: string[]; subjectField?: string },
    problems: string[],
  ): void {
    const existing = this.options.personalData.get(entityType);
    const resolved = resolvePersonalData({ [entityType]: entry }, this.options.tenantField, problems).get(
      entityType,
    );
    if (!resolved) return;
    if (existing && JSON.stringify(existing) !== JSON.stringify(resolved)) {
      problems.push(
        `${entityType} declares personal data both in @AuditedEntity and in the personalData option: keep one.`,
      );
      return;
    }
    this.options.personalData.set(entityType, resolved);
  }

  /** Whether the database captures any table: only then do transactions need the app's context. */
  hasAny(): boolean {
    return this.captured.size > 0 || this.joinTables;
  }

  /** Whether the database captures the entity's rows (so no event of it is built in the app). */
  isCaptured(entityType: string): boolean {
    return this.captured.has(entityType);
  }

  /** How the entity's captured rows become snapshots; undefined for an entity this process does not know. */
  shapeOf(entityType: string): EntityShape | undefined {
    if (!this.shapes.has(entityType)) {
      const meta = this.metadataOf(entityType);
      const selection = meta && auditedEntityOptions(meta.class);
      this.shapes.set(
        entityType,
        meta
          ? entityShapeOf(meta, this.events.maskerFor(meta.class), this.options.tenantField, selection ?? {})
          : null,
      );
    }
    return this.shapes.get(entityType) ?? undefined;
  }

  private metadataOf(entityType: string): EntityMetadata | undefined {
    return this.orm.getMetadata().getByClassName(entityType, false) ?? undefined;
  }

  private expectedMasked(meta: EntityMetadata, columns: string[]): string[] {
    return maskedColumnsOf(meta, this.events.maskerFor(meta.class), columns);
  }

  private mismatches(meta: EntityMetadata, installed: InstalledCapture): string[] {
    const [, key, masked] = installed.args;
    const table = `${installed.schema}.${installed.table}`;
    const expectedMasked = this.expectedMasked(meta, installed.columns);
    const maskedNow = new Set(masked ? masked.split(',') : []);
    const problems: string[] = [];
    if (meta.tableName !== installed.table || (meta.schema ?? 'public') !== installed.schema) {
      problems.push(
        `${table} is captured as ${meta.className}, whose table is ${meta.schema ?? 'public'}.${meta.tableName}.`,
      );
    }
    if (key !== keyColumnsOf(meta).join(',')) {
      problems.push(
        `${table}: the capture trigger's key (${key}) is not ${meta.className}'s (${keyColumnsOf(meta).join(',')}).`,
      );
    }
    const unmasked = expectedMasked.filter((c) => !maskedNow.has(c));
    if (unmasked.length > 0) {
      problems.push(
        `${table}: column(s) ${unmasked.join(', ')} must be masked but the capture trigger copies them; run: ` +
          this.fix(meta, [...new Set([...maskedNow, ...expectedMasked])]),
      );
    }
    return problems;
  }

  private fix(meta: EntityMetadata, masked: string[]): string {
    const spec = {
      entityType: meta.className,
      table: meta.tableName,
      ...(meta.schema ? { schema: meta.schema } : {}),
      key: keyColumnsOf(meta),
      masked: [...masked].sort(),
    };
    return `auditCaptureSql(${JSON.stringify(spec)}) (trigger arguments: ${captureTriggerArgs(spec).join(' | ')})`;
  }
}

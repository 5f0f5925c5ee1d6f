import { MikroORM } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { AUDIT_OPTIONS } from '../audit.constants';
import type { ResolvedAuditOptions } from '../audit-options.interface';
import { InjectAuditStore } from '../storage/audit-store';
import { type SqlSession, sqlOf } from '../storage/sql-session';
import { ensureForwardCursor, forwardCursors, forwardLag } from '../storage/forward-cursor.store';

/**
 * The forwarding cursors (`audit.forward_cursors`): for each configured sink, the `global_seq`
 * of the last event it acknowledged. Everything after a sink's cursor is still owed to it.
 */
@Injectable()
export class ForwardCursors {
  constructor(
    @InjectAuditStore() private readonly store: MikroORM,
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
  ) {}

  private get names(): string[] {
    return this.options.forwarding.sinks.map((s) => s.name);
  }

  /**
   * Creates the sink's cursor if it has none: at 0 (`startAt: 'beginning'`) or at the log's
   * current size (`'now'`). An existing cursor is never moved.
   */
  async ensure(sink: string, db: SqlSession = sqlOf(this.store)): Promise<void> {
    await ensureForwardCursor(db, sink, this.options.forwarding.startAt !== 'now');
  }

  /**
   * The lowest cursor among the configured sinks: every event with a `global_seq` above it is
   * still owed to at least one sink, so archiving code must keep (or first forward) those.
   * A configured sink with no cursor yet counts as 0 with `startAt: 'beginning'` (it will want
   * everything), and not at all with `'now'` (it will start at the log's size then). Null when
   * no sink constrains anything: forwarding is off, or only `'now'` sinks not started yet.
   */
  async lowest(): Promise<number | null> {
    if (this.names.length === 0) return null;
    const rows = await this.read();
    if (rows.size < this.names.length && this.options.forwarding.startAt === 'beginning') return 0;
    if (rows.size === 0) return null;
    return Math.min(...rows.values());
  }

  /** Each configured sink's cursor (sinks with none yet are left out). */
  async read(): Promise<Map<string, number>> {
    if (this.names.length === 0) return new Map();
    return forwardCursors(sqlOf(this.store), this.names);
  }

  /** How many events each configured sink is behind the log (its size minus the cursor). */
  async lag(): Promise<Map<string, number>> {
    if (this.names.length === 0) return new Map();
    return forwardLag(sqlOf(this.store), this.names);
  }
}

import type { EntityManager } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { AuditContextService } from '../context/audit-context.service';
import type { AuditEvent } from '../events/audit-event';
import { AuditEventFactory } from '../events/audit-event.factory';
import type { RecordAuditEventInput } from '../events/record-audit-event.input';
import { OutboxWriter } from './outbox.writer';

/**
 * Records the library's own operations (archival, retention rules, legal holds) inside the audit
 * store's transaction that makes the change, so the change and its audit event commit together.
 * The actor is the current context's: the CLI runs as the operator.
 */
@Injectable()
export class StoreEventRecorder {
  constructor(
    private readonly events: AuditEventFactory,
    private readonly context: AuditContextService,
    private readonly outbox: OutboxWriter,
  ) {}

  async record(em: EntityManager, input: RecordAuditEventInput): Promise<AuditEvent> {
    const event = this.events.forDomainEvent(
      { module: 'audit', tenantId: null, ...input },
      this.context.snapshot(),
    );
    await this.outbox.write(em, [event]);
    return event;
  }
}

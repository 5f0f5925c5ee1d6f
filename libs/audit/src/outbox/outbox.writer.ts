import type { EntityManager } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { AuditWriteFailedError } from '../errors/audit-write-failed.error';
import type { AuditEvent } from '../events/audit-event';
import { AuditOutboxEntity } from '../storage/audit-outbox.entity';
import { AfterCommitPublisher } from './after-commit.publisher';

/** Writes events to the outbox inside the caller's transaction and publishes them after it commits. */
@Injectable()
export class OutboxWriter {
  constructor(private readonly publisher: AfterCommitPublisher) {}

  async write(em: EntityManager, events: AuditEvent[]): Promise<void> {
    try {
      await em.insertMany(
        AuditOutboxEntity,
        events.map((event) => ({
          id: event.id,
          entityType: event.entityType,
          entityId: event.entityId,
          payload: event,
        })),
      );
    } catch (error) {
      throw new AuditWriteFailedError(events[0].id, error);
    }
    this.publisher.publishAfterCommit(em.getTransactionContext(), events);
  }
}

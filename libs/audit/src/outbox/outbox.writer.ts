import type { EntityManager } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { AuditWriteFailedError } from '../errors/audit-write-failed.error';
import type { AuditEvent } from '../events/audit-event';
import { PersonalDataProtector } from '../personal-data/personal-data.protector';
import { AuditOutboxEntity } from '../storage/audit-outbox.entity';
import { AfterCommitPublisher } from './after-commit.publisher';

/**
 * Writes events to the outbox inside the caller's transaction and publishes them after it commits.
 * Every event passes the personal-data protector first: the outbox never holds a personal value in clear.
 */
@Injectable()
export class OutboxWriter {
  constructor(
    private readonly publisher: AfterCommitPublisher,
    private readonly personalData: PersonalDataProtector,
  ) {}

  async write(em: EntityManager, plain: AuditEvent[]): Promise<void> {
    const events = await this.personalData.protect(em, plain);
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

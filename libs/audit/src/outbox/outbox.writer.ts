import type { EntityManager } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { AuditWriteFailedError } from '../errors/audit-write-failed.error';
import type { AuditEvent } from '../events/audit-event';
import { PersonalDataProtector } from '../personal-data/personal-data.protector';
import { sqlOn } from '../personal-data/subject-keys.service';
import { AfterCommitPublisher } from './after-commit.publisher';
import { sqlCurrent } from '../storage/sql-session';

// PostgreSQL takes at most 65,535 parameters per statement: 4 per row.
const ROWS_PER_STATEMENT = 10_000;

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
    const trx = em.getTransactionContext<object>();
    // NOTE: a parameterised statement on the transaction's connection rather than em.insertMany:
    // on the audited write path it is the one statement an unaudited call does not make, and the
    // ORM's query builder cost more CPU than the round trip itself (bench/write-path.bench.ts).
    const sql = sqlOn(sqlCurrent(em));
    try {
      for (let from = 0; from < events.length; from += ROWS_PER_STATEMENT) {
        const rows = events.slice(from, from + ROWS_PER_STATEMENT);
        await sql(
          `insert into audit.outbox (id, entity_type, entity_id, payload) values ${rows.map(() => '(?, ?, ?, ?)').join(', ')}`,
          rows.flatMap((e) => [e.id, e.entityType, e.entityId, JSON.stringify(e)]),
        );
      }
    } catch (error) {
      throw new AuditWriteFailedError(events[0].id, error);
    }
    this.publisher.publishAfterCommit(trx, events);
  }
}

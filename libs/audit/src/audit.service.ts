import { MikroORM, TransactionPropagation } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { AuditContextService } from './context/audit-context.service';
import type { AuditEvent, SealedAuditEvent } from './events/audit-event';
import { AuditEventFactory } from './events/audit-event.factory';
import type { RecordAuditEventInput } from './events/record-audit-event.input';
import { OutboxWriter } from './outbox/outbox.writer';
import { PersonalDataReader } from './personal-data/personal-data.reader';
import { AuditChainTamperedError } from './errors/audit-chain-tampered.error';
import type { ChainVerification } from './verification/chain-verification';
import { TrailVerifier } from './verification/trail.verifier';

/** Records domain events and reads sealed trails. */
@Injectable()
export class AuditService {
  constructor(
    private readonly orm: MikroORM,
    private readonly context: AuditContextService,
    private readonly events: AuditEventFactory,
    private readonly outbox: OutboxWriter,
    private readonly trails: TrailVerifier,
    private readonly personalData: PersonalDataReader,
  ) {}

  /**
   * Records a domain event with the same guarantees as an `@Auditable` call: inside the caller's
   * transaction when there is one (rolled back with it), else in its own; sealed after commit.
   */
  async record(input: RecordAuditEventInput): Promise<AuditEvent> {
    const event = this.events.forDomainEvent(input, this.context.snapshot());
    await this.orm.em.transactional((em) => this.outbox.write(em, [event]), {
      propagation: TransactionPropagation.REQUIRED,
    });
    return event;
  }

  /**
   * The sealed events of one entity, in chain (commit) order, verified on every read (over the
   * stored form). Personal values are returned in clear, or `[ERASED]` once their subject is
   * erased; the stored events (and so `hash`) hold their encrypted envelopes.
   * @throws AuditChainTamperedError naming the first bad chain_seq and the reason.
   */
  async trail(entityType: string, entityId: string): Promise<SealedAuditEvent[]> {
    const { events, verification } = await this.trails.load(entityType, entityId);
    if (!verification.valid) throw new AuditChainTamperedError(entityType, entityId, verification.failures);
    return this.personalData.reveal(events);
  }

  /** The verification report of one entity's chain; never throws on tampering. */
  async verifyTrail(entityType: string, entityId: string): Promise<ChainVerification> {
    return (await this.trails.load(entityType, entityId)).verification;
  }
}

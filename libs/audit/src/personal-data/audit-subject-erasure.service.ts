import { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { AuditContextService } from '../context/audit-context.service';
import { InvalidErasureRequestError } from '../errors/invalid-erasure-request.error';
import type { AuditActor } from '../events/audit-event';
import { AuditEventFactory } from '../events/audit-event.factory';
import { OutboxWriter } from '../outbox/outbox.writer';
import { InjectAuditStore } from '../storage/audit-store';
import { sqlOn } from './subject-keys.service';
import { sqlOf, sqlIn } from '../storage/sql-session';
import { destroySubjectKey, insertErasedSubject, subjectKeyState } from '../storage/subject-key.store';
import { SUBJECT_ENTITY } from '../events/library-entities';

/** What `AuditSubjectErasure.erase` did. */
export interface SubjectErasure {
  subjectId: string;
  /** True when the subject was erased before this call: nothing was destroyed or recorded now. */
  alreadyErased: boolean;
  erasedAt: Date;
  /** True when a key was destroyed (false: the subject had no key yet, or was erased already). */
  keyDestroyed: boolean;
  /** The ERASE event recorded by this call; null when already erased. */
  eventId: string | null;
}

/** A subject's key, as `AuditSubjectErasure.status` reports it. */
export interface SubjectKeyStatus {
  subjectId: string;
  /** ACTIVE: values can be read; ERASED: the key is destroyed; NONE: no personal value was ever sealed. */
  state: 'ACTIVE' | 'ERASED' | 'NONE';
  createdAt: Date | null;
  erasedAt: Date | null;
}

// NOTE: the driver returns timestamptz as text (MikroORM's type parsers).
const dateOf = (value: string | Date | null) => (value === null ? null : new Date(value));

/**
 * GDPR erasure by crypto-shredding: destroys a subject's data key, so every personal value
 * sealed for that subject (in the store, the outbox, exports and archives alike) can no longer be
 * decrypted, while the stored ciphertext, and so every hash, chain and checkpoint, stays as it
 * was. Needs UPDATE on `audit.subject_keys`: connect as the migrations' owner or the `eraser`
 * role of `auditRoleGrants`; the app and worker roles cannot erase.
 */
@Injectable()
export class AuditSubjectErasure {
  constructor(
    @InjectAuditStore() private readonly store: MikroORM,
    private readonly events: AuditEventFactory,
    private readonly context: AuditContextService,
    private readonly outbox: OutboxWriter,
  ) {}

  /**
   * Destroys the subject's key and records an `ERASE` event (entity `audit.subject`, id: the
   * subject id, metadata `{ reason, erasedAt, keyDestroyed }`) in the same transaction; the event
   * is sealed like any other. A subject without a key is erased too: no later write gives it one
   * (its values are then recorded as `[ERASED]`). Idempotent: erasing an erased subject changes
   * and records nothing. `reason` is stored in clear: keep personal data out of it.
   */
  async erase(subjectId: string, options: { reason: string; actor?: AuditActor }): Promise<SubjectErasure> {
    if (typeof subjectId !== 'string' || subjectId === '')
      throw new InvalidErasureRequestError('erase needs the subject id.');
    if (typeof options?.reason !== 'string' || options.reason.trim() === '')
      throw new InvalidErasureRequestError('erase needs a reason: it is recorded in the ERASE event.');
    return (this.store.em.fork() as EntityManager).transactional(async (em) => {
      const sql = sqlOn(sqlIn(em));
      const erasedAt = new Date();
      // A tombstone when the subject has no key; else lock the row and destroy its key.
      const tombstone = await insertErasedSubject(sql, subjectId, erasedAt);
      if (!tombstone) {
        const row = (await subjectKeyState(sql, subjectId, true))!;
        if (row.erased) {
          return {
            subjectId,
            alreadyErased: true,
            erasedAt: dateOf(row.erased_at)!,
            keyDestroyed: false,
            eventId: null,
          };
        }
        await destroySubjectKey(sql, subjectId, erasedAt);
      }
      const keyDestroyed = !tombstone;
      const event = this.events.forDomainEvent(
        {
          action: 'ERASE',
          entityType: SUBJECT_ENTITY,
          entityId: subjectId,
          tenantId: null,
          module: 'audit',
          metadata: { reason: options.reason, erasedAt: erasedAt.toISOString(), keyDestroyed },
          actor: options.actor,
        },
        this.context.snapshot(),
      );
      await this.outbox.write(em, [event]);
      return { subjectId, alreadyErased: false, erasedAt, keyDestroyed, eventId: event.id };
    });
  }

  /** Whether the subject's personal values can still be read. */
  async status(subjectId: string): Promise<SubjectKeyStatus> {
    const row = await subjectKeyState(sqlOn(sqlOf(this.store.em)), subjectId, false);
    if (!row) return { subjectId, state: 'NONE', createdAt: null, erasedAt: null };
    return {
      subjectId,
      state: row.erased ? 'ERASED' : 'ACTIVE',
      createdAt: dateOf(row.created_at),
      erasedAt: dateOf(row.erased_at),
    };
  }
}

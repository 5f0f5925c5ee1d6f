import { MikroORM, type EntityManager } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { AUDIT_OPTIONS, ERASED_VALUE } from '../audit.constants';
import type { ResolvedAuditOptions } from '../audit-options.interface';
import { protectEvent } from '../capture/personal-fields';
import { isPersonalDataEnvelope, sealPersonalValue } from '../crypto/personal-data-envelope';
import type { AuditEvent } from '../events/audit-event';
import { InjectAuditStore } from '../storage/audit-store';
import { SubjectKeys, sqlOn, type Sql } from './subject-keys.service';
import { sqlCurrent, sqlOf } from '../storage/sql-session';

/**
 * Encrypts the personal values of events on their way to the outbox (after diffing and masking),
 * so neither the outbox nor anything sealed from it ever holds them in clear. A value of an
 * erased subject is written as `[ERASED]`: it is never stored, and the subject gets no new key.
 */
@Injectable()
export class PersonalDataProtector {
  constructor(
    @InjectAuditStore() private readonly store: MikroORM,
    private readonly keys: SubjectKeys,
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
  ) {}

  /** The events as they may be stored: unchanged unless their entity type declares personal fields. */
  async protect(em: EntityManager, events: AuditEvent[]): Promise<AuditEvent[]> {
    return this.protectWith(this.sqlFor(em), events);
  }

  /**
   * `protect` with subject keys read and made through `sql`: the sealer's, for row changes the
   * database captured (their personal values reach the ledger only through here). A value that is
   * an envelope already (a relation event's snapshot carries the previous event's) stays as it is.
   */
  async protectWith(sql: Sql, events: AuditEvent[]): Promise<AuditEvent[]> {
    const planned = events.map((event) => ({
      event,
      policy: this.options.personalData.get(event.entityType),
    }));
    const subjects = new Set<string>();
    for (const { event, policy } of planned) {
      if (policy) protectEvent(event, policy, (subject) => subjects.add(subject));
    }
    if (subjects.size === 0) return events;
    const keys = await this.keys.forWrite(sql, [...subjects]);
    return planned.map(({ event, policy }) =>
      policy
        ? protectEvent(event, policy, (subject, field, value) => {
            if (isPersonalDataEnvelope(value)) return value;
            const key = keys.get(subject);
            return key ? sealPersonalValue(key, subject, field, value) : ERASED_VALUE;
          })
        : event,
    );
  }

  /**
   * Where subject keys are read and made. The store's database: in the caller's transaction (a
   * second pooled connection per audited call could exhaust the pool under load). A separate
   * store: its own short statements; a key committed for a change that then rolls back holds
   * nothing.
   */
  private sqlFor(em: EntityManager): Sql {
    if (em.getDriver() === this.store.em.getDriver()) {
      return sqlOn(sqlCurrent(em));
    }
    return sqlOn(sqlOf(this.store));
  }
}

import { MikroORM } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { ERASED_VALUE } from '../audit.constants';
import { UNKNOWN_VALUE, type ComparableValue } from '../capture/drift';
import { envelopeSubjects, revealEvent, type OpenValue } from '../capture/personal-fields';
import { isPersonalDataEnvelope, openPersonalValue } from '../crypto/personal-data-envelope';
import { PersonalDataUnreadableError } from '../errors/personal-data-unreadable.error';
import type { AuditEvent, FieldChange, JsonObject } from '../events/audit-event';
import { InjectAuditStore } from '../storage/audit-store';
import { SubjectKeys, sqlOn } from './subject-keys.service';
import { type SqlSession, sqlOf } from '../storage/sql-session';

/**
 * Reads personal values back: in clear while the subject's key exists, `[ERASED]` once it is
 * destroyed. The keys a call needs are read in one query and dropped when it returns (no cache
 * that could outlive an erasure). Verification never comes here: it hashes the stored envelopes.
 */
@Injectable()
export class PersonalDataReader {
  constructor(
    @InjectAuditStore() private readonly store: MikroORM,
    private readonly keys: SubjectKeys,
  ) {}

  /**
   * The events with every envelope opened.
   * @throws PersonalDataUnreadableError for a value that does not open with its subject's key (moved or altered).
   */
  async reveal<T extends AuditEvent & { drift?: FieldChange[] | null }>(events: T[]): Promise<T[]> {
    const subjects = envelopeSubjects(events);
    if (subjects.length === 0) return events;
    const keys = await this.keys.forRead(sqlOn(sqlOf(this.store)), subjects);
    const open: OpenValue = (envelope, field) => {
      const key = keys.get(envelope.subject);
      if (key === undefined) {
        throw new PersonalDataUnreadableError(
          `No key was ever made for subject ${JSON.stringify(envelope.subject)}: its values were not sealed here.`,
        );
      }
      return key === null ? ERASED_VALUE : openPersonalValue(key, envelope, field);
    };
    return events.map((event) => revealEvent(event, open));
  }

  /**
   * How the sealer compares these snapshots' values for drift: envelopes decrypted where the key
   * and the key-encryption key are at hand, else unknown (never drift). Undefined when the
   * snapshots hold no envelope.
   */
  async comparable(trx: SqlSession, snapshots: (JsonObject | null)[]): Promise<ComparableValue | undefined> {
    const subjects = new Set<string>();
    for (const value of snapshots.flatMap((s) => Object.values(s ?? {}))) {
      if (isPersonalDataEnvelope(value)) subjects.add(value.subject);
    }
    if (subjects.size === 0) return undefined;
    const keys = await this.keys.forRead(sqlOn(trx), [...subjects], true);
    return (field, value) => {
      if (!isPersonalDataEnvelope(value)) return value;
      const key = keys.get(value.subject);
      if (!key) return UNKNOWN_VALUE;
      try {
        return openPersonalValue(key, value, field);
      } catch {
        return UNKNOWN_VALUE;
      }
    };
  }
}

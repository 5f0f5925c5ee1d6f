import { Inject, Injectable } from '@nestjs/common';
import { AUDIT_OPTIONS } from '../audit.constants';
import type { ResolvedAuditOptions } from '../audit-options.interface';
import { newSubjectKey, unwrapSubjectKey, wrapSubjectKey } from '../crypto/personal-data-envelope';
import { KeyProviderError } from '../errors/key-provider.error';
import { PersonalDataUnreadableError } from '../errors/personal-data-unreadable.error';
import { createKekFile, readKekFile } from './subject-kek.file';
import {
  anyWrappedSubjectKey,
  insertSubjectKey,
  subjectKeyRows,
  type Sql,
} from '../storage/subject-key.store';

export { sqlOn, type Sql } from '../storage/subject-key.store';

/** Subject id → its data key, or null once erased. */
export type SubjectKeyMap = Map<string, Buffer | null>;

/**
 * The per-subject data keys in `audit.subject_keys`, wrapped under the key-encryption key (which
 * never goes to the database). Keys are read for one call and dropped: nothing here outlives it,
 * so an erasure takes effect on the next read. Only the key-encryption key is kept in memory.
 */
@Injectable()
export class SubjectKeys {
  private kek: Buffer | null = null;

  constructor(@Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions) {}

  /**
   * The keys to encrypt with: each subject's, created when it has none. Two writers creating one
   * subject's key at once end with one key (insert … on conflict do nothing, then read). An erased
   * subject maps to null and gets no new key.
   */
  async forWrite(sql: Sql, subjects: string[]): Promise<SubjectKeyMap> {
    const rows = await subjectKeyRows(sql, subjects);
    const found = new Set(rows.map((r) => r.subject_id));
    const missing = subjects.filter((s) => !found.has(s));
    const keys: SubjectKeyMap = new Map();
    if (missing.length > 0) {
      const kek = await this.kekForWrite(sql);
      for (const subject of missing) {
        const key = newSubjectKey();
        if (await insertSubjectKey(sql, subject, wrapSubjectKey(kek, subject, key))) keys.set(subject, key);
        else rows.push(...(await subjectKeyRows(sql, [subject])));
      }
    }
    const kek = rows.some((r) => r.wrapped_key) ? await this.kekForWrite(sql) : null;
    for (const row of rows) {
      keys.set(row.subject_id, row.wrapped_key && unwrapSubjectKey(kek!, row.subject_id, row.wrapped_key));
    }
    return keys;
  }

  /**
   * The keys to decrypt with (a subject without a key row is left out).
   * `lenient`: a key that cannot be unwrapped, or no key-encryption key at all, is left out
   * instead of throwing (drift detection then treats the values as unknown).
   * @throws KeyProviderError when no key-encryption key is configured or kept.
   * @throws PersonalDataUnreadableError when a key does not unwrap with it.
   */
  async forRead(sql: Sql, subjects: string[], lenient = false): Promise<SubjectKeyMap> {
    const keys: SubjectKeyMap = new Map();
    if (subjects.length === 0) return keys;
    const rows = await subjectKeyRows(sql, subjects);
    const kek = rows.some((r) => r.wrapped_key) ? await this.existingKek() : null;
    for (const { subject_id: subject, wrapped_key: wrapped } of rows) {
      if (!wrapped) {
        keys.set(subject, null);
        continue;
      }
      if (!kek) {
        if (lenient) continue;
        throw new KeyProviderError(
          `No subject key-encryption key: set AUDIT_SUBJECT_KEK (or subjectKeyEncryptionKey) or restore ${this.kekFile()}.`,
        );
      }
      try {
        keys.set(subject, unwrapSubjectKey(kek, subject, wrapped));
      } catch (error) {
        if (!(lenient && error instanceof PersonalDataUnreadableError)) throw error;
      }
    }
    return keys;
  }

  private kekFile(): string {
    const source = this.options.subjectKek;
    return 'file' in source ? source.file : 'the key-encryption key';
  }

  private async existingKek(): Promise<Buffer | null> {
    const source = this.options.subjectKek;
    if ('key' in source) return source.key;
    this.kek ??= await readKekFile(source.file);
    return this.kek;
  }

  /**
   * The key-encryption key, created on first use. NOTE: never created while wrapped keys exist:
   * a new key-encryption key could not unwrap them, and keys wrapped under it would be lost with
   * the next restore of the old one. The missing file is reported instead.
   */
  private async kekForWrite(sql: Sql): Promise<Buffer> {
    const existing = await this.existingKek();
    if (existing) return existing;
    const source = this.options.subjectKek as { file: string };
    if (await anyWrappedSubjectKey(sql)) {
      throw new KeyProviderError(
        `Subject keys exist but their key-encryption key does not: restore ${source.file} or set AUDIT_SUBJECT_KEK.`,
      );
    }
    this.kek = await createKekFile(source.file);
    return this.kek;
  }
}

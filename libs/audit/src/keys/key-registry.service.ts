import { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AUDIT_OPTIONS } from '../audit.constants';
import type { ResolvedAuditOptions } from '../audit-options.interface';
import { formatVerifierKey, type NoteSigner } from '../crypto/signed-note';
import { KeyProviderError } from '../errors/key-provider.error';
import type { JsonObject } from '../events/audit-event';
import { StoreEventRecorder } from '../outbox/store-event.recorder';
import type { SigningKeyRecord, SigningKeyStatus } from './signing-key-record';
import { toKeyRecord } from './signing-key.rows';
import { InjectAuditStore } from '../storage/audit-store';
import { assertKeyUnpublished, assertStoreExtendsWitness } from '../witness/witness-continuity';
import {
  activeKeyId,
  insertActiveKey,
  markKeyCompromised,
  retireKey,
  setActiveKey,
  storedSigningKeys,
} from '../storage/signing-key.store';
import { sqlCurrent, sqlOf } from '../storage/sql-session';
import { SIGNING_KEY_ENTITY } from '../events/library-entities';
import { advisoryXactLock } from '../storage/locks.store';

const KEY_SETUP_LOCK = 'audit-ledger:signing-keys';

const STATUS_RANK: Record<SigningKeyStatus, number> = { ACTIVE: 0, RETIRED: 1, COMPROMISED: 2 };

/** Why a key was rotated; recorded in the KEY_ROTATED event. */
export type RotationReason = 'INITIAL' | 'SCHEDULED' | 'ON_DEMAND' | 'NEW_KEY_SUPPLIED' | 'COMPROMISE';

/**
 * The signing keys' lifecycle: which key is active, rotation (on a schedule, on demand, or when
 * the provider supplies a new key), retirement and compromise. Public halves go to
 * `audit.signing_keys` and to the witness; private halves stay with the key provider. Every
 * change is itself an audit event. Changes take the log-head lock, the lock every sealer takes,
 * so a rotation switches all sealers at one point of the log.
 */
@Injectable()
export class KeyRegistry {
  private readonly logger = new Logger(KeyRegistry.name);
  private signers = new Map<string, NoteSigner>();

  constructor(
    @InjectAuditStore() private readonly orm: MikroORM,
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
    private readonly recorder: StoreEventRecorder,
  ) {}

  private get em(): EntityManager {
    return this.orm.em as EntityManager;
  }

  /**
   * Makes sure a key is active and this process holds it: activates a key the provider supplies
   * that the store has not seen, creates the first key, and rotates a key older than
   * `keyRotationIntervalMs`. Called when a worker starts and periodically after.
   * @throws WitnessAheadOfStoreError when the witness holds a checkpoint the store cannot extend.
   */
  async ensureActiveKey(): Promise<void> {
    await assertStoreExtendsWitness(sqlOf(this.em), this.options.witness, this.options.logOrigin);
    await this.withKeyLock(() => this.ensureActiveKeyLocked());
  }

  private async ensureActiveKeyLocked(): Promise<void> {
    const held = await this.reloadSigners();
    await this.publishMissedRetirements();
    const { active, known } = await this.state(this.em);
    const supplied = held.find((s) => !known.has(s.keyId.toString('hex')));
    if (supplied) {
      await this.rotate(active ? 'NEW_KEY_SUPPLIED' : 'INITIAL', supplied);
    } else if (!active) {
      await this.rotate('INITIAL');
    } else if (this.overdue(active)) {
      await this.rotate('SCHEDULED');
    }
  }

  /**
   * Retires the active key and activates a new one (created by the provider unless given).
   * `details` (default none) is recorded in the KEY_ROTATED event beside its own fields: who
   * asked and why, e.g. an operator's command. Returns the new key's public record.
   */
  async rotate(
    reason: RotationReason = 'ON_DEMAND',
    supplied?: NoteSigner,
    details: JsonObject = {},
  ): Promise<SigningKeyRecord> {
    return this.withKeyLock(() => this.rotateLocked(reason, supplied, details));
  }

  /** The key that signs now, or null before the first key is activated. */
  async activeKey(): Promise<SigningKeyRecord | null> {
    return (await this.state(this.em.fork())).active;
  }

  /**
   * Runs `fn` holding the key-setup lock (a transaction-level advisory lock, re-entrant, so
   * `ensureActiveKey` may rotate). NOTE: without it, workers starting together on an empty store
   * each created a key, one took another's fresh key file for a supplied key and activated it,
   * and the other then dropped that file as its own stale attempt: the active key was lost.
   */
  private withKeyLock<T>(fn: () => Promise<T>): Promise<T> {
    return this.em.transactional(async (em) => {
      await advisoryXactLock(sqlCurrent(em), KEY_SETUP_LOCK);
      return fn();
    });
  }

  private async rotateLocked(
    reason: RotationReason,
    supplied?: NoteSigner,
    details: JsonObject = {},
  ): Promise<SigningKeyRecord> {
    const signer = supplied ?? (await this.options.keyProvider.createSigner(this.options.logOrigin));
    this.signers.set(signer.keyId.toString('hex'), signer);
    const keyId = signer.keyId.toString('hex');
    const outcome = await this.em.transactional(async (em) => {
      const { active, known } = await this.state(em, true);
      // NOTE: several workers may decide to rotate at once; the first to take the lock does it,
      // the others find the reason gone and drop the key they made.
      const stale =
        known.has(keyId) ||
        ((reason === 'INITIAL' || reason === 'SCHEDULED') && active !== null && !this.overdue(active));
      if (stale) return null;
      const now = new Date();
      const record: SigningKeyRecord = {
        keyId,
        keySetId: this.options.keySetId,
        name: signer.name,
        algorithm: 'ed25519',
        verifierKey: formatVerifierKey(signer),
        notBefore: now,
        notAfter: null,
        status: 'ACTIVE',
        compromisedAt: null,
      };
      // NOTE: published before it can sign anything, so no signature ever names a key the
      // witness does not know; a failed commit leaves only an unused key there.
      await assertKeyUnpublished(sqlOf(em), this.options.witness, this.options.logOrigin, keyId);
      await this.options.witness.publishKey(record);
      const db = sqlCurrent(em);
      await insertActiveKey(db, record, now);
      const old = active && { ...active, status: 'RETIRED' as const, notAfter: now };
      if (old) await retireKey(db, old.keyId, now);
      await setActiveKey(db, keyId);
      await this.recordEvent(em, 'KEY_ROTATED', {
        ...details,
        reason,
        keyId,
        previousKeyId: old?.keyId ?? null,
        verifierKey: record.verifierKey,
      });
      return { retired: old, created: record };
    });
    if (!outcome) {
      if (!supplied) await this.options.keyProvider.destroySigner(keyId);
      return (await this.state(this.em)).active!;
    }
    if (outcome.retired) await this.retireLocally(outcome.retired);
    this.logger.log(`Signing key ${keyId} active (${reason})`);
    return outcome.created;
  }

  private overdue(active: SigningKeyRecord): boolean {
    const interval = this.options.keyRotationIntervalMs;
    return interval > 0 && Date.now() - active.notBefore.getTime() >= interval;
  }

  /**
   * Marks a key compromised from `since` on: everything it signed at or after that moment fails
   * verification. When it is the active key, a new key is activated first. `details` (default
   * none) is recorded in the KEY_COMPROMISED event (and that rotation's) beside its own fields.
   */
  async markCompromised(keyId: string, since: Date, details: JsonObject = {}): Promise<void> {
    const { active } = await this.state(this.em);
    if (active?.keyId === keyId) await this.rotate('COMPROMISE', undefined, details);
    const record = await this.em.transactional(async (em) => {
      const row = await markKeyCompromised(sqlCurrent(em), keyId, since);
      if (!row) throw new KeyProviderError(`No key ${keyId} that is not already compromised.`);
      await this.recordEvent(em, 'KEY_COMPROMISED', {
        ...details,
        keyId,
        compromisedAt: since.toISOString(),
      });
      return toKeyRecord(row);
    });
    await this.options.witness.publishKey(record);
    await this.options.keyProvider.destroySigner(keyId);
    this.signers.delete(keyId);
  }

  /** The private key for `keyId`, when this process's provider holds it. */
  async signer(keyId: string): Promise<NoteSigner> {
    const signer =
      this.signers.get(keyId) ?? (await this.reloadSigners()).find((s) => s.keyId.toString('hex') === keyId);
    if (!signer) {
      throw new KeyProviderError(
        `The active signing key ${keyId} is not available to this process: give every worker the same key provider.`,
      );
    }
    return signer;
  }

  /** The stored public keys (the witness holds the trusted copy). */
  async storedKeys(em: EntityManager = this.em.fork()): Promise<SigningKeyRecord[]> {
    return (await storedSigningKeys(sqlCurrent(em))).map(toKeyRecord);
  }

  /**
   * Publishes a retirement or compromise the witness missed (the process died between the commit
   * and the publish). It can only make verification stricter, never accept more.
   */
  private async publishMissedRetirements(): Promise<void> {
    const published = new Map((await this.options.witness.keys()).map((k) => [k.keyId, k]));
    for (const key of await this.storedKeys()) {
      const seen = published.get(key.keyId);
      if (seen && STATUS_RANK[key.status] > STATUS_RANK[seen.status])
        await this.options.witness.publishKey(key);
    }
  }

  private async retireLocally(retired: SigningKeyRecord): Promise<void> {
    await this.options.witness.publishKey(retired);
    await this.options.keyProvider.destroySigner(retired.keyId);
    this.signers.delete(retired.keyId);
  }

  private async reloadSigners(): Promise<NoteSigner[]> {
    const held = (await this.options.keyProvider.signers()).filter((s) => s.name === this.options.logOrigin);
    this.signers = new Map(held.map((s) => [s.keyId.toString('hex'), s]));
    return held;
  }

  private async state(em: EntityManager, lock = false) {
    const activeId = await activeKeyId(sqlCurrent(em), lock);
    const keys = await this.storedKeys(em);
    return {
      active: keys.find((k) => k.keyId === activeId && k.status === 'ACTIVE') ?? null,
      known: new Set(keys.map((k) => k.keyId)),
    };
  }

  private async recordEvent(em: EntityManager, action: string, metadata: JsonObject): Promise<void> {
    await this.recorder.record(em, {
      action,
      entityType: SIGNING_KEY_ENTITY,
      entityId: this.options.keySetId,
      metadata,
    });
  }
}

import { IsolationLevel, MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { AUDIT_OPTIONS } from '../audit.constants';
import type { ResolvedAuditOptions } from '../audit-options.interface';
import { entityKey, headMapProof } from '../crypto/head-map';
import { AuditMetrics } from '../metrics/audit-metrics.service';
import type { SealedAuditEvent } from '../events/audit-event';
import { loadHeadMapPaths } from '../storage/head-map.store';
import { hashedFieldsOf, toSealedEvent } from '../storage/sealed-event.mapper';
import type { ChainVerification } from './chain-verification';
import { ChainCheck, hashVerdict } from './chain-verifier';
import { verifySignedTrail } from './signed-trail';
import { InjectAuditStore } from '../storage/audit-store';
import { archivedHead, type ArchivedHead } from '../storage/archive.store';
import { type SqlSession, sqlIn } from '../storage/sql-session';
import { entityEventPages, trailEvidence } from '../storage/verification.store';
import { movedPlace, proofNodes } from './batch-statement';

const PAGE = 2000;
// NOTE: the first page is small so that hashing starts while PostgreSQL reads the rest of a trail.
const FIRST_PAGE = 250;

/** An entity's sealed events and their verification report. */
export interface VerifiedTrail {
  events: SealedAuditEvent[];
  verification: ChainVerification;
  /** The last chain_seq moved to an archive segment, when the chain's start was archived. */
  archivedThrough?: number;
}

/**
 * Read-time verification of one entity's trail: the chain recomputed (O(n) SHA-256), its end
 * tied to the signed batch statement, the latest checkpoint's heads map and the witness (two or
 * three Ed25519 checks). Everything is read in one REPEATABLE READ snapshot, so a checkpoint or
 * a sealer committing meanwhile cannot produce a false alarm.
 */
@Injectable()
export class TrailVerifier {
  constructor(
    @InjectAuditStore() private readonly orm: MikroORM,
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
    private readonly metrics: AuditMetrics,
  ) {}

  async load(entityType: string, entityId: string): Promise<VerifiedTrail> {
    const [trusted, witnessNote] = await Promise.all([
      this.options.witness.keys(),
      this.options.witness.latest(),
    ]);
    const key = entityKey(entityType, entityId);
    const loaded = await (this.orm.em.fork() as EntityManager).transactional(
      async (em) => {
        const trx = sqlIn(em);
        // NOTE: asked for first, so its round trips overlap with the hashing of the events; unused
        // (one read too many) only when no checkpoint was ever cut.
        const paths = loadHeadMapPaths(trx, [key]);
        paths.catch(() => undefined); // awaited below
        const { events, check, archived } = await this.chain(trx, entityType, entityId);
        const last = events[events.length - 1];
        const e = await trailEvidence(
          trx,
          { entityType, entityId },
          last?.batchTreeSize ?? null,
          witnessNote,
        );
        return {
          events,
          check,
          head: e.last_seq !== null ? { lastSeq: Number(e.last_seq), lastHash: e.last_hash } : null,
          batch:
            e.batch_note === null
              ? null
              : {
                  note: e.batch_note,
                  headSeq: Number(e.batch_head_seq),
                  moved: movedPlace(e.batch_head_index, proofNodes(e.batch_head_proof)),
                },
          checkpointNote: e.checkpoint_note,
          mapProof: e.checkpoint_note !== null ? headMapProof(await paths, key) : null,
          witnessHeld: e.witness_held,
          archived: archived && { chainSeq: archived.chainSeq, hash: archived.hash },
        };
      },
      { isolationLevel: IsolationLevel.REPEATABLE_READ, readOnly: true },
    );
    const chain = loaded.check.end(loaded.head);
    const signed = verifySignedTrail(loaded.events, {
      entityKey: key,
      batch: loaded.batch,
      checkpointNote: loaded.checkpointNote,
      mapProof: loaded.mapProof,
      witnessNote,
      witnessHeld: loaded.witnessHeld,
      archived: loaded.archived,
      trusted,
      origin: this.options.logOrigin,
      now: new Date(),
      maxClockSkewMs: this.options.maxClockSkewMs,
    });
    const failures = [...chain.failures, ...signed].sort((a, b) => a.chainSeq - b.chainSeq);
    if (failures.length > 0) this.metrics.verificationFailures.inc({ reason: failures[0].reason });
    return {
      events: loaded.events,
      verification: { ...chain, valid: failures.length === 0, failures },
      ...(loaded.archived ? { archivedThrough: loaded.archived.chainSeq } : {}),
    };
  }

  /**
   * The entity's events in chain order, read in pages and checked as they come: each page is
   * hashed while PostgreSQL reads the next one.
   */
  private async chain(
    trx: SqlSession,
    entityType: string,
    entityId: string,
  ): Promise<{ events: SealedAuditEvent[]; check: ChainCheck; archived: ArchivedHead | null }> {
    const events: SealedAuditEvent[] = [];
    let check: ChainCheck | null = null;
    let archived: ArchivedHead | null = null;
    for await (const rows of entityEventPages(trx, entityType, entityId, FIRST_PAGE, PAGE)) {
      if (!check) {
        // NOTE: a chain that does not start at 1 continues from an archive cut.
        archived = Number(rows[0].chain_seq) === 1 ? null : await archivedHead(trx, entityType, entityId);
        check = new ChainCheck(archived ?? undefined);
      }
      for (const row of rows) {
        const event = toSealedEvent(row);
        // NOTE: the event is its own link: its hashes are the hex text the read selected, hashed
        // and compared as text, with no bytes decoded or encoded back to hex.
        check.add(event, hashVerdict(hashedFieldsOf(row, event), event));
        // The previous event's string where equal: one string fewer kept per event of a long trail.
        const previous = events[events.length - 1];
        if (previous?.hash === event.prevHash) event.prevHash = previous.hash;
        events.push(event);
      }
    }
    if (!check) {
      // No event left: the chain may have been archived whole.
      archived = await archivedHead(trx, entityType, entityId);
      check = new ChainCheck(archived ?? undefined);
    }
    return { events, check, archived };
  }
}

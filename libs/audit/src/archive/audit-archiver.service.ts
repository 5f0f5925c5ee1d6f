import { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { AUDIT_OPTIONS } from '../audit.constants';
import type { ResolvedAuditOptions } from '../audit-options.interface';
import { statedCheckpoint } from '../crypto/checkpoint';
import { LogIntegrityError } from '../errors/log-integrity.error';
import { AuditExporter, type ProgressListener } from '../export/audit.exporter';
import { StoreEventRecorder } from '../outbox/store-event.recorder';
import {
  dropEventPartition,
  eventPartitionNames,
  insertArchiveHeads,
  insertArchiveSegment,
  latestArchiveCut,
  partitionStats,
  sinksBehind,
} from '../storage/archive.store';
import { InjectAuditStore } from '../storage/audit-store';
import { verifyBundle } from '../verification/bundle-verifier';
import type { PartitionDecision } from './retention';
import { RetentionPolicy } from './retention-policy.service';
import { type SqlSession, sqlOf, sqlIn } from '../storage/sql-session';
import { ARCHIVE_ENTITY } from '../events/library-entities';
import { advisoryXactLock } from '../storage/locks.store';

/** One archival at a time, whichever process runs it. */
const ARCHIVE_LOCK = 'audit-ledger:archive';

const PARTITION = /^events_(\d{4})_(\d{2})$/;

/** One archived month. */
export interface ArchivedSegment {
  partition: string;
  fromSeq: number;
  toSeq: number;
  events: number;
  manifestSha256: string;
  location: string;
}

/** What an archive run did: segments written and partitions dropped, and where it stopped. */
export interface ArchiveReport {
  dryRun: boolean;
  archived: ArchivedSegment[];
  /**
   * Every closed month with events before the date, oldest first, each with the decision the run
   * acted on: `allowed` ones were archived (or would be, in a dry run); the first refused one is
   * `refused`, and every later one is kept behind it.
   */
  planned: PartitionDecision[];
  /** The month it stopped at, with the reasons; null when every closed month before the date went. */
  refused: PartitionDecision | null;
}

/**
 * Archival (docs/retention.md): moves closed months out of the live store, oldest
 * first, each only when the retention policy releases it. A month is written to the archive sink
 * as a bundle (gzip ECS NDJSON, leaves, proofs, a manifest chained to the previous segment's,
 * sealed with the log's key), read back and verified offline, and only then, in one transaction,
 * recorded (its compact range at the cut, every chain head at the cut), audited, and its
 * partition detached and dropped. The live store keeps verifying from the cut.
 */
@Injectable()
export class AuditArchiver {
  constructor(
    @InjectAuditStore() private readonly orm: MikroORM,
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
    private readonly policy: RetentionPolicy,
    private readonly exporter: AuditExporter,
    private readonly recorder: StoreEventRecorder,
  ) {}

  /** The closed months before `before`, oldest first, each with the policy's decision at `now`. */
  async plan(before: Date, now = new Date()): Promise<PartitionDecision[]> {
    const db = this.db();
    const thisMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
    const limit = Math.min(before.getTime(), thisMonth);
    const decisions: PartitionDecision[] = [];
    for (const { name, start, end } of await this.partitions(db)) {
      if (end.getTime() > limit) continue;
      const stats = await partitionStats(db, name);
      decisions.push(
        await this.policy.decide(
          db,
          {
            partition: name,
            periodStart: start,
            periodEnd: end,
            events: stats.events,
            fromSeq: stats.first,
            toSeq: stats.last,
          },
          now,
        ),
      );
    }
    return decisions;
  }

  /**
   * Archives every closed month before `before` that the policy releases, oldest first, stopping
   * at the first it does not (later months cannot go before it: the live log must stay one
   * contiguous stretch). Empty months are left alone. The report names the refused month and why.
   */
  async archive(
    before: Date,
    options: { dryRun?: boolean; now?: Date; onProgress?: ProgressListener } = {},
  ): Promise<ArchiveReport> {
    const candidates = (await this.plan(before, options.now)).filter((d) => d.events > 0);
    const report: ArchiveReport = {
      dryRun: options.dryRun ?? false,
      archived: [],
      planned: [],
      refused: null,
    };
    for (const decision of candidates) {
      // NOTE: every month in `planned` carries the decision the run acted on (the policy's and the
      // log's), so a dry run never lists a month as allowed that the real run would keep.
      if (report.refused) {
        const blocker = `an earlier month (${report.refused.partition}) is kept`;
        report.planned.push({ ...decision, allowed: false, blockers: [...decision.blockers, blocker] });
        continue;
      }
      const checked = await this.checkLogState(decision);
      report.planned.push(checked);
      if (!checked.allowed) {
        report.refused = checked;
        continue;
      }
      if (report.dryRun) continue;
      report.archived.push(await this.archiveOne(checked, options.onProgress));
    }
    return report;
  }

  /** What the policy cannot see: the month continues the last cut, is signed, witnessed and forwarded. */
  private async checkLogState(decision: PartitionDecision): Promise<PartitionDecision> {
    const db = this.db();
    const blockers = [...decision.blockers];
    const cut = await latestArchiveCut(db);
    const expected = (cut?.size ?? 0) + 1;
    const to = decision.toSeq!;
    if (decision.fromSeq !== expected)
      blockers.push(`the live log starts at global_seq ${expected}, this month at ${decision.fromSeq}`);
    const witnessed = await this.witnessedSize();
    if (witnessed < to)
      blockers.push(
        `the witness's checkpoint covers ${witnessed} events, this month ends at ${to}: wait for the next checkpoint (or run \`audit-ledger checkpoint publish --cut\`)`,
      );
    for (const b of await sinksBehind(db, to))
      blockers.push(`forwarding sink "${b.sink}" has sent only up to ${b.globalSeq}`);
    return { ...decision, allowed: blockers.length === 0, blockers };
  }

  private async archiveOne(
    decision: PartitionDecision,
    onProgress?: ProgressListener,
  ): Promise<ArchivedSegment> {
    const from = decision.fromSeq!;
    const to = decision.toSeq!;
    const sink = this.options.archiveSink;
    const store = sink.segment(decision.partition);
    const previous = await latestArchiveCut(this.db());
    const result = await this.exporter.export(
      {
        selection: {
          from: decision.periodStart.toISOString(),
          to: decision.periodEnd.toISOString(),
          entityType: null,
          tenantId: null,
        },
        format: 'ndjson',
        gzip: true,
        seqRange: { from, to },
        kind: 'archive',
        previousManifestSha256: previous?.manifestSha256 ?? null,
        partition: {
          name: decision.partition,
          periodStart: decision.periodStart.toISOString(),
          periodEnd: decision.periodEnd.toISOString(),
        },
      },
      store,
      onProgress,
    );
    // Read back what cold storage holds and verify it with the published keys before anything is dropped.
    const readBack = await verifyBundle(store, { trustedKeys: await this.options.witness.keys() });
    if (
      !readBack.valid ||
      readBack.treeSize !== to ||
      readBack.leavesFrom !== from - 1 ||
      readBack.checkedEvents !== decision.events
    ) {
      const why =
        readBack.failures[0]?.detail ?? `it holds ${readBack.checkedEvents} of ${decision.events} events`;
      throw new LogIntegrityError(
        `The archive segment ${store.location} failed its read-back check (${why}); ${decision.partition} stays in the live store.`,
      );
    }
    const segment: ArchivedSegment = {
      partition: decision.partition,
      fromSeq: from,
      toSeq: to,
      events: decision.events,
      manifestSha256: result.manifestSha256,
      location: store.location,
    };
    await (this.orm.em.fork() as EntityManager).transactional(async (em) => {
      const db = sqlIn(em);
      await advisoryXactLock(db, ARCHIVE_LOCK);
      if (((await latestArchiveCut(db))?.size ?? 0) !== from - 1)
        throw new LogIntegrityError(
          `Another archive run moved the cut meanwhile; ${decision.partition} stays.`,
        );
      await insertArchiveSegment(db, {
        partition: decision.partition,
        periodStart: decision.periodStart,
        periodEnd: decision.periodEnd,
        fromSeq: from,
        toSeq: to,
        events: decision.events,
        manifestSha256: result.manifestSha256,
        previousManifestSha256: previous?.manifestSha256 ?? null,
        sealNote: result.seal,
        endRange: result.endRange,
        location: store.location,
      });
      await insertArchiveHeads(db, decision.partition, to);
      await this.recorder.record(em, {
        action: 'ARCHIVE',
        entityType: ARCHIVE_ENTITY,
        entityId: decision.partition,
        metadata: {
          fromSeq: from,
          toSeq: to,
          events: decision.events,
          periodStart: decision.periodStart.toISOString(),
          periodEnd: decision.periodEnd.toISOString(),
          manifestSha256: result.manifestSha256,
          location: store.location,
        },
      });
      await dropEventPartition(db, decision.partition);
    });
    return segment;
  }

  /** The live monthly partitions, oldest first. */
  private async partitions(db: SqlSession): Promise<{ name: string; start: Date; end: Date }[]> {
    return (await eventPartitionNames(db)).flatMap((name) => {
      const m = PARTITION.exec(name);
      if (!m) return [];
      const [year, month] = [Number(m[1]), Number(m[2])];
      return [
        { name, start: new Date(Date.UTC(year, month - 1, 1)), end: new Date(Date.UTC(year, month, 1)) },
      ];
    });
  }

  private async witnessedSize(): Promise<number> {
    const note = await this.options.witness.latest();
    if (!note) return 0;
    try {
      return statedCheckpoint(note).size;
    } catch {
      return 0;
    }
  }

  private db(): SqlSession {
    return sqlOf(this.orm.em);
  }
}

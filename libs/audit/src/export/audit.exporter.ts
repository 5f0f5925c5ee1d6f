import { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AUDIT_OPTIONS } from '../audit.constants';
import type { ResolvedAuditOptions } from '../audit-options.interface';
import { signCheckpoint, statedCheckpoint } from '../crypto/checkpoint';
import { entityKey } from '../crypto/head-map';
import { appendLeafInPlace, rangeRoot, type CompactRange } from '../crypto/compact-range';
import { merkleLeafHash } from '../crypto/merkle';
import { InvalidExportRequestError } from '../errors/invalid-export-request.error';
import { LogIntegrityError } from '../errors/log-integrity.error';
import { KeyRegistry } from '../keys/key-registry.service';
import { formatPublishedKeys } from '../keys/published-keys';
import { InjectAuditStore } from '../storage/audit-store';
import {
  batchTreeSizeOf,
  leafPage,
  proofPage,
  type ProofCursor,
  recordedSeqRange,
  selectedEventPage,
} from '../storage/export.store';
import { pagesAhead, toSealedEvent } from '../storage/sealed-event.mapper';
import { batchAt } from '../storage/verification.store';
import { proofNodes } from '../verification/batch-statement';
import { openStatement } from '../verification/signed-statement';
import {
  BUNDLE_FORMAT,
  eventFileName,
  KEYS_FILE,
  MANIFEST_FILE,
  SEAL_FILE,
  sealLine,
  type BundleManifest,
  type BundleProof,
  type BundleSelection,
  type EventFileFormat,
} from './bundle-manifest';
import type { BundleStore } from './bundle-store';
import { toEcsDocument, type EcsDocument } from './ecs-document';
import { encodeEvents } from './event-file';
import { inChunksOf } from './text-lines';
import { anchorAtOrBefore } from './log-anchor';
import { type SqlSession, sqlOf } from '../storage/sql-session';
import { activeKeyId } from '../storage/signing-key.store';

const PAGE = 2000;

/** What to export. */
export interface ExportRequest {
  selection: BundleSelection;
  format: EventFileFormat;
  gzip: boolean;
  /** Archive segments give their exact global_seq range; exports derive it from the dates. */
  seqRange?: { from: number; to: number };
  kind?: 'export' | 'archive';
  previousManifestSha256?: string | null;
  partition?: BundleManifest['partition'];
}

export interface ExportResult {
  manifest: BundleManifest;
  manifestSha256: string;
  seal: string;
  /** The compact range at `manifest.leaves.to`: where the log continues after this bundle. */
  endRange: CompactRange;
}

/** Progress of a long run: `done` of `total` units (leaves written, then events). */
export type ProgressListener = (done: number, total: number) => void;

/**
 * Writes export bundles (docs/export.md): events as ECS NDJSON or CSV, every leaf hash of the
 * covered range, the signed statements over it, the published keys, and a manifest sealed with
 * the log's key. Reads the store in pages of 2000 rows, in global order, so memory stays flat for
 * any number of events. Refuses to seal a bundle whose rebuilt tree disagrees with the log's own
 * signed statement: an export never vouches for a tampered store.
 */
@Injectable()
export class AuditExporter {
  constructor(
    @InjectAuditStore() private readonly orm: MikroORM,
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
    private readonly keys: KeyRegistry,
  ) {}

  async export(
    request: ExportRequest,
    store: BundleStore,
    onProgress?: ProgressListener,
  ): Promise<ExportResult> {
    const em = this.orm.em.fork() as EntityManager;
    const db = sqlOf(em);
    const range = request.seqRange ?? (await this.seqRange(db, request.selection));
    const trusted = await this.options.witness.keys();
    const end = range ? await this.batchEnd(db, range.to) : 0;
    const anchor = await anchorAtOrBefore(db, range ? range.from - 1 : 0, trusted, this.options.logOrigin);
    const total = end - anchor.size + (range ? range.to - range.from + 1 : 0);
    let done = 0;
    const tick = () => onProgress?.(++done, total);

    const files: BundleManifest['files'] = {};
    const leavesFile = request.gzip ? 'leaves.txt.gz' : 'leaves.txt';
    // NOTE: a copy this export owns, appended to in place (a copy per leaf cost a million arrays).
    const tree = [...anchor.range];
    files[leavesFile] = await store.write(
      leavesFile,
      this.leafLines(db, anchor.size, end, (hash, size) => {
        appendLeafInPlace(tree, size, merkleLeafHash(hash));
        tick();
      }),
    );
    const root = rangeRoot(tree);
    if (end > anchor.size) await this.checkAgainstStatement(db, end, root, trusted);

    let count = 0;
    let first: number | null = null;
    let last: number | null = null;
    const eventsFile = eventFileName(request.format, request.gzip);
    const documents = range
      ? this.documents(db, range, request.selection, (doc) => {
          count++;
          first ??= doc.event.sequence;
          last = doc.event.sequence;
          tick();
        })
      : (async function* () {})();
    files[eventsFile] = await store.write(eventsFile, inChunksOf(encodeEvents(documents, request.format)));

    const proofsFile = 'proofs.ndjson';
    let proofCount = 0;
    files[proofsFile] = await store.write(
      proofsFile,
      this.proofLines(db, anchor.size, end, () => proofCount++),
    );
    files[KEYS_FILE] = await store.write(KEYS_FILE, [formatPublishedKeys(trusted)]);

    const manifest: BundleManifest = {
      format: BUNDLE_FORMAT,
      kind: request.kind ?? 'export',
      origin: this.options.logOrigin,
      createdAt: new Date().toISOString(),
      selection: request.selection,
      events: { file: eventsFile, format: request.format, count, firstGlobalSeq: first, lastGlobalSeq: last },
      leaves: { file: leavesFile, from: anchor.size, to: end, root: root.toString('hex') },
      proofs: { file: proofsFile, count: proofCount },
      anchor: { size: anchor.size, range: anchor.range.map((h) => h.toString('hex')), note: anchor.note },
      previousManifestSha256: request.previousManifestSha256 ?? null,
      partition: request.partition ?? null,
      files,
    };
    const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
    const manifestSha256 = createHash('sha256').update(manifestText).digest('hex');
    const seal = signCheckpoint(
      {
        origin: this.options.logOrigin,
        size: end,
        root,
        time: new Date(manifest.createdAt),
        extensions: [sealLine(manifestSha256)],
      },
      await this.activeSigner(db),
    );
    await store.write(MANIFEST_FILE, [manifestText]);
    await store.write(SEAL_FILE, [seal]);
    return { manifest, manifestSha256, seal, endRange: tree };
  }

  /** The global_seq range of the events sealed in [from, to), or null when there are none. */
  private async seqRange(
    db: SqlSession,
    selection: BundleSelection,
  ): Promise<{ from: number; to: number } | null> {
    const from = new Date(selection.from);
    const to = new Date(selection.to);
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to)
      throw new InvalidExportRequestError(
        `The export period [${selection.from}, ${selection.to}) is not a valid date range: give ISO-8601 dates, from before to.`,
      );
    return recordedSeqRange(db, from, to);
  }

  /**
   * The first signed root covering `seq`: the size its batch statement signs (the batch's end in
   * v1, its sealing transaction's end in v2), so every statement in the bundle has its tree there.
   */
  private async batchEnd(db: SqlSession, seq: number): Promise<number> {
    const size = await batchTreeSizeOf(db, seq);
    const batch = size === null ? null : await batchAt(db, size);
    let signed: number | null = null;
    try {
      signed = batch && statedCheckpoint(batch.note).size;
    } catch {
      signed = null;
    }
    if (size === null || signed === null || signed < size)
      throw new LogIntegrityError(`Event ${seq} has no signed batch: the store is incomplete.`);
    return signed;
  }

  private async *leafLines(
    db: SqlSession,
    from: number,
    to: number,
    onLeaf: (hash: Buffer, size: number) => void,
  ): AsyncIterable<string> {
    let size = from;
    const read = (after: number) => leafPage(db, after, to, PAGE);
    for await (const rows of pagesAhead(read, (r) => Number(r.global_seq), from, PAGE)) {
      const lines: string[] = [];
      for (const row of rows) {
        if (Number(row.global_seq) !== size + 1)
          throw new LogIntegrityError(`Leaf ${size + 1} is missing from the store (archived or deleted).`);
        onLeaf(row.hash, size);
        size++;
        lines.push(row.hash.toString('hex'));
      }
      yield `${lines.join('\n')}\n`;
    }
    if (size < to)
      throw new LogIntegrityError(`Leaf ${size + 1} is missing from the store (archived or deleted).`);
  }

  private async *documents(
    db: SqlSession,
    range: { from: number; to: number },
    selection: BundleSelection,
    onDocument: (doc: EcsDocument) => void,
  ): AsyncIterable<EcsDocument> {
    const read = (after: number) => selectedEventPage(db, after, range.to, selection, PAGE);
    for await (const rows of pagesAhead(read, (r) => Number(r.global_seq), range.from - 1, PAGE)) {
      for (const row of rows) {
        const doc = toEcsDocument(toSealedEvent(row));
        onDocument(doc);
        yield doc;
      }
    }
  }

  private async *proofLines(
    db: SqlSession,
    from: number,
    to: number,
    onProof: () => void,
  ): AsyncIterable<string> {
    let cursor: ProofCursor = [from, '', '0'];
    for (;;) {
      const rows = await proofPage(db, from, to, cursor, PAGE);
      if (rows.length === 0) return;
      const lines = rows.map((row) => {
        onProof();
        const proof: BundleProof = { type: row.type, treeSize: Number(row.tree_size), note: row.note };
        const path = proofNodes(row.head_proof);
        if (row.head_index !== null && path && row.entity_type !== null && row.entity_id !== null)
          proof.moved = {
            index: row.head_index,
            proof: path.map((h) => h.toString('hex')),
            key: entityKey(row.entity_type, row.entity_id).toString('hex'),
            chainSeq: Number(row.head_seq),
          };
        return `${JSON.stringify(proof)}\n`;
      });
      yield lines.join('');
      const last = rows[rows.length - 1];
      cursor = [Number(last.tree_size), last.type, last.ord];
    }
  }

  private async checkAgainstStatement(
    db: SqlSession,
    end: number,
    root: Buffer,
    trusted: Parameters<typeof openStatement>[1],
  ) {
    const note = (await batchAt(db, end))?.note ?? null;
    const opened = note !== null ? openStatement(note, trusted, this.options.logOrigin) : null;
    if (!opened?.ok || !opened.checkpoint.root.equals(root))
      throw new LogIntegrityError(
        `The store's leaves up to ${end} do not rebuild the signed batch root: run \`audit-ledger verify\`; nothing was exported.`,
      );
  }

  private async activeSigner(db: SqlSession) {
    const keyId = await activeKeyId(db, false);
    if (!keyId) throw new LogIntegrityError('The log has no active signing key yet: start a worker first.');
    return this.keys.signer(keyId);
  }
}

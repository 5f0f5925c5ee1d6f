import { createHash } from 'node:crypto';
import { rangeRoot, type CompactRange } from '../crypto/compact-range';
import { GENESIS_HASH } from '../crypto/event-hash';
import { entityKey } from '../crypto/head-map';
import type { SealedAuditEvent } from '../events/audit-event';
import {
  BUNDLE_FORMAT,
  KEYS_FILE,
  MANIFEST_FILE,
  SEAL_FILE,
  sealLine,
  type BundleManifest,
  type BundleProof,
} from '../export/bundle-manifest';
import { readText, readWhole, type BundleStore } from '../export/bundle-store';
import { fromEcsDocument, type EcsDocument } from '../export/ecs-document';
import { decodeEvents } from '../export/event-file';
import { parsePublishedKeys } from '../keys/published-keys';
import type { SigningKeyRecord } from '../keys/signing-key-record';
import {
  checkFiles,
  checkUnnamed,
  fileFailure,
  FileError,
  lines,
  MAX_KEYS_BYTES,
  MAX_LEAF_LINE_BYTES,
  MAX_MANIFEST_BYTES,
  MAX_SEAL_BYTES,
  tagged,
  type Fail,
} from './bundle-files';
import { HEX_HASH, manifestProblems } from './bundle-manifest-schema';
import type { BundleFailure, BundleVerification } from './bundle-verification';
import { chainKey, checkLink, kept, type ChainPosition } from './chain-verifier';
import { openStatement, statementsVerifiedAhead } from './signed-statement';
import { movedPlace } from './batch-statement';
import { TreeReplay } from './tree-replay';
import { AuditError } from '../errors/audit.error';

/** The verifier stops at the hundredth failure: a hostile bundle cannot keep it busy reporting. */
const MAX_FAILURES = 100;
/** Default of BundleVerifyOptions.maxLineBytes. */
const MAX_LINE_BYTES = 16 << 20;

export interface BundleVerifyOptions {
  /** The published keys to trust (the witness's keys.json). Default: the bundle's own copy, reported as such. */
  trustedKeys?: SigningKeyRecord[];
  /** Called as leaves are checked: `done` of `total`. */
  onProgress?: (done: number, total: number) => void;
  /**
   * The longest event or proof line (one record, in bytes) the verifier reads; a longer one is
   * FILE_TOO_LARGE and reading stops there. Default: 16 MiB.
   */
  maxLineBytes?: number;
  /**
   * The verifier's clock, and how far ahead of it a signed statement may be dated: a seal, anchor,
   * batch statement or checkpoint dated later was made with a clock set forward (or a stolen key
   * pre-dating the future) and is refused. Defaults: the current time, 300,000 ms (as online).
   */
  now?: Date;
  maxClockSkewMs?: number;
}

/** Whether a signed statement's time lies beyond the verifier's clock and its tolerance. */
type FromTheFuture = (time: Date) => boolean;

/** Thrown by `fail` at the hundredth failure: verification ends with what it has. */
class TooManyFailures extends AuditError {
  readonly code = 'AUDIT_TOO_MANY_FAILURES';
}

/** Proofs read ahead of the walk, to have their signatures checked meanwhile. */
const PROOFS_AHEAD = 256;

/** A proof line, parsed (null if it is not a proof), with its signature check under way. */
interface ProofAhead {
  proof: BundleProof | null;
  verified: Promise<ReadonlySet<string>>;
}

/**
 * The proofs, each with its signature checked in libuv's thread pool while the walk hashes the
 * events before it: an export holds a batch statement every few events, and Ed25519 costs more
 * than hashing them. Reads at most PROOFS_AHEAD lines ahead.
 */
async function* proofsAhead(
  lines: AsyncIterable<string>,
  parse: (line: string) => BundleProof | null,
  trusted: SigningKeyRecord[],
): AsyncGenerator<ProofAhead> {
  const queue: ProofAhead[] = [];
  const none: Promise<ReadonlySet<string>> = Promise.resolve(new Set<string>());
  // NOTE: a v2 statement is written once per batch of its transaction, on consecutive lines (a
  // 100,000-event export: 15,157 lines, 67 statements): its signature is checked once, not per line.
  let last: { note: string; verified: Promise<ReadonlySet<string>> } | null = null;
  for await (const line of lines) {
    const proof = parse(line);
    let verified = none;
    if (proof && proof.note === last?.note) verified = last.verified;
    else if (proof) {
      verified = statementsVerifiedAhead([proof.note], trusted);
      verified.catch(() => undefined); // awaited when the walk reaches it
      last = { note: proof.note, verified };
    }
    queue.push({ proof, verified });
    if (queue.length > PROOFS_AHEAD) yield queue.shift()!;
  }
  yield* queue;
}

/**
 * Verifies an export bundle or archive segment offline, with public keys only (docs/export.md). It
 * checks, in one streaming pass:
 * - the seal: a checkpoint signed by a trusted key, valid at its time, binding the manifest's
 *   SHA-256, at the tree size the leaves end at, with the root they rebuild;
 * - every file against the SHA-256 and length in the manifest (a changed byte names its file);
 * - the tree: from the signed anchor through every leaf, each batch statement's and checkpoint's
 *   signature and root at its size, each batch head against its leaf;
 * - every event: its hash recomputed from its fields, equal to the leaf at its position, linked to
 *   the previous event of its entity, signed by the key its batch names.
 * Never throws for a bad bundle: every problem is a failure in the result.
 */
export async function verifyBundle(
  store: BundleStore,
  options: BundleVerifyOptions = {},
): Promise<BundleVerification> {
  const failures: BundleFailure[] = [];
  const fail: Fail = (reason, detail, at = {}) => {
    failures.push({
      reason,
      file: at.file ?? null,
      globalSeq: at.globalSeq ?? null,
      eventId: at.eventId ?? null,
      detail,
    });
    if (failures.length >= MAX_FAILURES) throw new TooManyFailures(`stopped at failure ${MAX_FAILURES}`);
  };
  let partial: Partial<BundleVerification> = {};
  const result = (): BundleVerification => ({
    valid: failures.length === 0,
    kind: null,
    origin: null,
    leavesFrom: 0,
    treeSize: 0,
    checkedEvents: 0,
    checkedProofs: 0,
    manifestSha256: null,
    previousManifestSha256: null,
    keysFromBundle: !options.trustedKeys,
    failures,
    ...partial,
  });
  try {
    await verifyInto(store, options, fail, (found) => (partial = { ...partial, ...found }));
  } catch (error) {
    if (!(error instanceof TooManyFailures)) throw error;
    failures[failures.length - 1].detail += ` (verification stopped at ${MAX_FAILURES} failures)`;
  }
  return result();
}

/** The checks of verifyBundle, reporting through `fail` and what they found through `found`. */
async function verifyInto(
  store: BundleStore,
  options: BundleVerifyOptions,
  fail: Fail,
  found: (partial: Partial<BundleVerification>) => void,
): Promise<void> {
  const manifestText = await readWhole(store, MANIFEST_FILE, MAX_MANIFEST_BYTES).catch((error: unknown) => {
    fail('MANIFEST_INVALID', fileFailure(MANIFEST_FILE, error).message, { file: MANIFEST_FILE });
    return undefined;
  });
  if (manifestText === undefined) return;
  if (manifestText === null)
    return fail('MANIFEST_INVALID', `${MANIFEST_FILE} is missing`, { file: MANIFEST_FILE });
  const manifestSha256 = createHash('sha256').update(manifestText).digest('hex');
  found({ manifestSha256 });
  let parsed: unknown;
  try {
    parsed = JSON.parse(manifestText);
  } catch {
    // NOTE: not the parser's message: V8 quotes the text it could not parse.
    return fail('MANIFEST_INVALID', `${MANIFEST_FILE} is not JSON`, { file: MANIFEST_FILE });
  }
  const problems = manifestProblems(parsed);
  if (problems.length)
    return fail(
      'MANIFEST_INVALID',
      `not a ${BUNDLE_FORMAT} manifest: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`,
      { file: MANIFEST_FILE },
    );
  const manifest = parsed as BundleManifest;
  let trusted = options.trustedKeys;
  if (!trusted) {
    try {
      trusted = parsePublishedKeys((await readWhole(store, KEYS_FILE, MAX_KEYS_BYTES)) ?? '');
    } catch (error) {
      const why =
        error instanceof SyntaxError
          ? 'not JSON'
          : error instanceof TypeError
            ? 'not a list of published key records with readable dates'
            : fileFailure(KEYS_FILE, error).message;
      fail('SEAL_INVALID', `no trusted keys given and ${KEYS_FILE} is unreadable: ${why}`, {
        file: KEYS_FILE,
      });
      trusted = [];
    }
  }
  found({
    kind: manifest.kind,
    origin: manifest.origin,
    leavesFrom: manifest.leaves.from,
    treeSize: manifest.leaves.from,
    previousManifestSha256: manifest.previousManifestSha256,
  });

  const latest = (options.now ?? new Date()).getTime() + (options.maxClockSkewMs ?? 300_000);
  const future: FromTheFuture = (time) => time.getTime() > latest;
  const sealRoot = await checkSeal(store, manifest, manifestSha256, trusted, fail, future);
  const unreadable = await checkFiles(store, manifest, fail);
  await checkUnnamed(store, manifest, fail);
  const anchor = checkAnchor(manifest, trusted, fail, future);
  // A data file refused or missing was reported above: the walk would only say it again.
  if ([manifest.events.file, manifest.leaves.file, manifest.proofs.file].some((f) => unreadable.has(f)))
    return;
  const walk = new TreeWalk(
    manifest,
    trusted,
    anchor,
    fail,
    options.maxLineBytes ?? MAX_LINE_BYTES,
    latest,
    options.onProgress,
  );
  const progress = () =>
    found({ treeSize: walk.size, checkedEvents: walk.events, checkedProofs: walk.proofs });
  try {
    await walk.run(store);
  } catch (error) {
    progress();
    if (!(error instanceof FileError)) throw error;
    return fail(error.reason, error.message, { file: error.file });
  }
  progress();
  if (walk.proofs !== manifest.proofs.count)
    fail('COUNT_MISMATCH', `${walk.proofs} signed statements, the manifest counts ${manifest.proofs.count}`, {
      file: manifest.proofs.file,
    });
  const rebuilt = rangeRoot(walk.tree);
  if (sealRoot && !sealRoot.equals(rebuilt))
    fail('SEAL_INVALID', 'the leaves do not rebuild the root the seal signs', { file: manifest.leaves.file });
  if (manifest.leaves.root !== rebuilt.toString('hex'))
    fail('COUNT_MISMATCH', "the leaves do not rebuild the manifest's root", { file: manifest.leaves.file });
}

async function checkSeal(
  store: BundleStore,
  manifest: BundleManifest,
  manifestSha256: string,
  trusted: SigningKeyRecord[],
  fail: Fail,
  future: FromTheFuture,
): Promise<Buffer | null> {
  const seal = await readWhole(store, SEAL_FILE, MAX_SEAL_BYTES).catch((error: unknown) => {
    fail('SEAL_INVALID', fileFailure(SEAL_FILE, error).message, { file: SEAL_FILE });
    return undefined;
  });
  if (seal === undefined) return null;
  if (seal === null) {
    fail('SEAL_INVALID', `${SEAL_FILE} is missing`, { file: SEAL_FILE });
    return null;
  }
  const opened = openStatement(seal, trusted, manifest.origin);
  if (!opened.ok) {
    fail('SEAL_INVALID', `${opened.reason}: ${opened.detail}`, { file: SEAL_FILE });
    return null;
  }
  const { checkpoint } = opened;
  if (future(checkpoint.time)) {
    fail('SEAL_INVALID', `the seal is dated in the future (${checkpoint.time.toISOString()})`, {
      file: SEAL_FILE,
    });
    return null;
  }
  if (checkpoint.extensions.length !== 1 || checkpoint.extensions[0] !== sealLine(manifestSha256)) {
    fail('SEAL_INVALID', `the seal does not sign this ${MANIFEST_FILE} (it was changed)`, {
      file: MANIFEST_FILE,
    });
    return null;
  }
  if (checkpoint.size !== manifest.leaves.to) {
    fail(
      'SEAL_INVALID',
      `the seal is for tree size ${checkpoint.size}, the manifest ends at ${manifest.leaves.to}`,
      {
        file: SEAL_FILE,
      },
    );
    return null;
  }
  return checkpoint.root;
}

function checkAnchor(
  manifest: BundleManifest,
  trusted: SigningKeyRecord[],
  fail: Fail,
  future: FromTheFuture,
): CompactRange {
  const range = manifest.anchor.range.map((h) => Buffer.from(h, 'hex'));
  if (manifest.anchor.size !== manifest.leaves.from) {
    fail(
      'ANCHOR_INVALID',
      `the anchor is at ${manifest.anchor.size}, the leaves start after ${manifest.leaves.from}`,
    );
    return range;
  }
  if (manifest.anchor.size === 0) {
    if (range.length) fail('ANCHOR_INVALID', 'an empty tree has an empty range');
    return [];
  }
  const opened = manifest.anchor.note ? openStatement(manifest.anchor.note, trusted, manifest.origin) : null;
  if (!opened?.ok) {
    fail('ANCHOR_INVALID', opened ? `${opened.reason}: ${opened.detail}` : 'the anchor has no signed note');
  } else if (future(opened.checkpoint.time)) {
    fail('ANCHOR_INVALID', `the anchor is dated in the future (${opened.checkpoint.time.toISOString()})`);
  } else if (
    opened.checkpoint.size !== manifest.anchor.size ||
    !opened.checkpoint.root.equals(rangeRoot(range))
  ) {
    fail('ANCHOR_INVALID', 'the anchor range does not match the signed checkpoint it names');
  }
  return range;
}

/** The streaming pass over leaves, events and proofs, in global order. */
class TreeWalk {
  events = 0;
  proofs = 0;
  private readonly chains = new Map<string, ChainPosition>();
  private readonly filtered: boolean;
  private readonly replay: TreeReplay;

  constructor(
    private readonly manifest: BundleManifest,
    private readonly trusted: SigningKeyRecord[],
    anchor: CompactRange,
    private readonly fail: Fail,
    private readonly maxLineBytes: number,
    latest: number,
    private readonly onProgress?: (done: number, total: number) => void,
  ) {
    this.filtered = manifest.selection.entityType !== null || manifest.selection.tenantId !== null;
    this.replay = new TreeReplay(
      { size: manifest.leaves.from, range: anchor },
      { origin: manifest.origin, trusted, latest },
      (f) =>
        this.fail('PROOF_INVALID', f.detail, {
          file: f.eventId ? manifest.events.file : manifest.proofs.file,
          globalSeq: f.size,
          eventId: f.eventId ?? null,
        }),
    );
  }

  /** Leaves replayed so far. */
  get size(): number {
    return this.replay.size;
  }

  get tree(): CompactRange {
    return this.replay.range;
  }

  /**
   * Reads each file no further than its recorded length, no line longer than a record can be, and
   * no leaf or event past the last leaf: the work is linear in the sizes the manifest declares.
   */
  async run(store: BundleStore): Promise<void> {
    const { manifest } = this;
    const text = (file: string) => readText(store, file, manifest.files[file].bytes);
    const eventFile = manifest.events.file;
    const events = tagged(
      eventFile,
      decodeEvents(text(eventFile), manifest.events.format, this.maxLineBytes),
    );
    const proofs = proofsAhead(
      tagged(manifest.proofs.file, lines(text(manifest.proofs.file), this.maxLineBytes)),
      (line) => this.parseProof(line),
      this.trusted,
    );
    const leaves = tagged(manifest.leaves.file, lines(text(manifest.leaves.file), MAX_LEAF_LINE_BYTES));
    try {
      await this.walk(events, proofs, leaves);
    } finally {
      // A walk that stopped early closes the files it left open.
      await Promise.allSettled([
        events.return(undefined),
        proofs.return(undefined),
        leaves.return(undefined),
      ]);
    }
  }

  private async walk(
    events: AsyncGenerator<{ line: number; doc: EcsDocument }>,
    proofs: AsyncGenerator<ProofAhead>,
    leaves: AsyncGenerator<string>,
  ): Promise<void> {
    const { manifest } = this;
    const eventFile = manifest.events.file;
    let event = await events.next();
    let proof = await proofs.next();
    const nextProof = async () => (proof = await proofs.next());
    const atSize = async (leafHex: string | null, current: SealedAuditEvent | null) => {
      while (!proof.done) {
        const p = proof.value.proof;
        if (p === null || p.treeSize < this.size) {
          this.fail('COUNT_MISMATCH', `a proof out of order before tree size ${this.size}`, {
            file: manifest.proofs.file,
          });
        } else if (p.treeSize === this.size) {
          this.checkProof(p, leafHex, current, await proof.value.verified);
        } else break;
        await nextProof();
      }
      // After this size's proofs: a v1 batch statement expects its root at its own size.
      this.replay.settle();
    };
    await atSize(null, null);
    const total = manifest.leaves.to - manifest.leaves.from;
    for await (const line of leaves) {
      if (this.size === manifest.leaves.to) {
        this.fail('COUNT_MISMATCH', `leaves beyond the manifest's last, ${manifest.leaves.to}`, {
          file: manifest.leaves.file,
          globalSeq: this.size + 1,
        });
        break;
      }
      if (!HEX_HASH.test(line))
        throw new FileError(
          manifest.leaves.file,
          'FILE_UNREADABLE',
          `leaf ${this.size + 1} is not a hex SHA-256`,
        );
      this.replay.append(Buffer.from(line, 'hex'));
      let current: SealedAuditEvent | null = null;
      while (!event.done && event.value.doc.event?.sequence <= this.size) {
        const e = this.toEvent(event.value.doc, event.value.line);
        if (e && e.globalSeq === this.size) {
          current = e;
          this.checkEvent(e, line);
        } else if (e) {
          this.fail('COUNT_MISMATCH', `event at global_seq ${e.globalSeq} is out of order`, {
            file: eventFile,
            globalSeq: e.globalSeq,
            eventId: e.id,
          });
        }
        event = await events.next();
      }
      const { firstGlobalSeq: first, lastGlobalSeq: last } = manifest.events;
      if (
        !current &&
        !this.filtered &&
        first !== null &&
        last !== null &&
        this.size >= first &&
        this.size <= last
      )
        this.fail(
          'COUNT_MISMATCH',
          `leaf ${this.size} has no event: the bundle exports every event of its range`,
          {
            file: eventFile,
            globalSeq: this.size,
          },
        );
      await atSize(line, current);
      this.onProgress?.(this.size - manifest.leaves.from, total);
    }
    if (!event.done) {
      const seq = event.value.doc.event?.sequence;
      this.fail('COUNT_MISMATCH', 'an event beyond the last leaf (and reading stopped there)', {
        file: eventFile,
        globalSeq: typeof seq === 'number' ? seq : null,
      });
    }
    if (!proof.done)
      this.fail('COUNT_MISMATCH', 'proofs beyond the last leaf', { file: manifest.proofs.file });
    if (this.size < manifest.leaves.to)
      this.fail('COUNT_MISMATCH', `the leaves end at ${this.size}, the manifest says ${manifest.leaves.to}`, {
        file: manifest.leaves.file,
        globalSeq: this.size + 1,
      });
    if (this.events !== manifest.events.count)
      this.fail('COUNT_MISMATCH', `${this.events} events, the manifest says ${manifest.events.count}`, {
        file: eventFile,
      });
    this.replay.finish();
  }

  private toEvent(doc: unknown, line: number): SealedAuditEvent | null {
    try {
      return fromEcsDocument(doc as Parameters<typeof fromEcsDocument>[0]);
    } catch (error) {
      this.fail('FILE_UNREADABLE', `line ${line}: not an event document (${(error as Error).message})`, {
        file: this.manifest.events.file,
      });
      return null;
    }
  }

  private checkEvent(event: SealedAuditEvent, leafHex: string): void {
    this.events++;
    const at = { file: this.manifest.events.file, globalSeq: event.globalSeq, eventId: event.id };
    if (event.hash !== leafHex)
      this.fail('EVENT_INVALID', 'the event hash is not the leaf at its position', at);
    const key = chainKey(event.entityType, event.entityId);
    const last = this.chains.get(key);
    // An entity's first event in the bundle links to a predecessor outside it (or to genesis);
    // the leaf commits to that link. Later ones must follow on, unless a filter left a gap.
    const prev: ChainPosition =
      last && (!this.filtered || last.chainSeq + 1 === event.chainSeq)
        ? last
        : event.chainSeq === 1
          ? { chainSeq: 0, hash: GENESIS_HASH }
          : { chainSeq: event.chainSeq - 1, hash: Buffer.from(event.prevHash, 'hex') };
    this.chains.set(
      key,
      kept(
        checkLink(event, prev, (_seq, _id, reason, detail) =>
          this.fail(
            reason === 'HASH_MISMATCH' || reason === 'UNKNOWN_HASH_ALGORITHM'
              ? 'EVENT_INVALID'
              : 'CHAIN_INVALID',
            `${reason}: ${detail}`,
            at,
          ),
        ),
      ),
    );
    const batch = event.batchTreeSize;
    if (!event.keyId || batch === null || batch < event.globalSeq || batch > this.manifest.leaves.to) {
      this.fail('PROOF_INVALID', 'the event is unsigned or names a batch outside the bundle', at);
      return;
    }
    this.replay.eventKey(batch, event.keyId, event.globalSeq, event.id);
  }

  private parseProof(line: string): BundleProof | null {
    try {
      const proof = JSON.parse(line) as BundleProof;
      return typeof proof.treeSize === 'number' && typeof proof.note === 'string' ? proof : null;
    } catch {
      return null;
    }
  }

  private checkProof(
    proof: BundleProof,
    leafHex: string | null,
    current: SealedAuditEvent | null,
    verifiedAhead: ReadonlySet<string>,
  ): void {
    this.proofs++;
    if (proof.type === 'checkpoint') {
      this.replay.checkpoint(proof.note, verifiedAhead);
      return;
    }
    if (leafHex === null) {
      this.fail('PROOF_INVALID', `batch at ${proof.treeSize}: no leaf ends a batch there`, {
        file: this.manifest.proofs.file,
        globalSeq: proof.treeSize,
      });
      return;
    }
    const moved = proof.moved;
    this.replay.batch(
      proof.note,
      {
        keyId: null,
        treeSize: proof.treeSize,
        head: {
          key: current ? entityKey(current.entityType, current.entityId) : hexOrNull(moved?.key),
          chainSeq: current ? current.chainSeq : seqOrNull(moved?.chainSeq),
          hash: Buffer.from(leafHex, 'hex'),
        },
        moved: movedPlace(moved?.index, hexNodes(moved?.proof)),
      },
      verifiedAhead,
    );
  }
}

/** A 32-byte hash from its hex, or null for anything else (an exported value is untrusted). */
function hexOrNull(hex: unknown): Buffer | null {
  return typeof hex === 'string' && HEX_HASH.test(hex) ? Buffer.from(hex, 'hex') : null;
}

function seqOrNull(seq: unknown): number | null {
  return typeof seq === 'number' && Number.isSafeInteger(seq) && seq > 0 ? seq : null;
}

/** An exported audit path: null unless every node is a hex SHA-256 (at most 64 of them). */
function hexNodes(nodes: unknown): Buffer[] | null {
  if (!Array.isArray(nodes) || nodes.length > 64) return null;
  const hashes = nodes.map(hexOrNull);
  return hashes.every((h): h is Buffer => h !== null) ? hashes : null;
}

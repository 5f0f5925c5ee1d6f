import { randomUUID } from 'node:crypto';
import { link, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openCheckpoint, type Checkpoint } from '../crypto/checkpoint';
import { verifyConsistencyProof } from '../crypto/merkle';
import { openNote, parseVerifierKey, type NoteVerifier } from '../crypto/signed-note';
import { InvalidCheckpointError } from '../errors/invalid-checkpoint.error';
import { InvalidNoteError } from '../errors/invalid-note.error';
import { WitnessConflictError } from '../errors/witness-conflict.error';
import { WitnessRejectedError } from '../errors/witness-rejected.error';
import { keyRejection } from '../keys/key-validity';
import { formatPublishedKeys, parsePublishedKeys } from '../keys/published-keys';
import type { SigningKeyRecord, SigningKeyStatus } from '../keys/signing-key-record';
import type { AuditWitness } from './audit-witness';

const CHECKPOINT_FILE = 'checkpoint';
const KEYS_FILE = 'keys.json';
const LOCK_FILE = 'lock';
const LOCK_WAIT_MS = 5_000;
const LOCK_STALE_MS = 30_000;
const STATUS_ORDER: Record<SigningKeyStatus, number> = { ACTIVE: 0, RETIRED: 1, COMPROMISED: 2 };

/** Options of a DirectoryWitness. */
export interface DirectoryWitnessOptions {
  /** How far a checkpoint's time may be ahead of `now()` before it is refused. Default: 300000 ms. */
  maxClockSkewMs?: number;
  /** The clock checkpoint times are compared with. Default: `() => new Date()`. */
  now?: () => Date;
}

const errorCode = (e: unknown) => (e as NodeJS.ErrnoException | null)?.code;
const iso = (d: Date | null) => (d ? d.toISOString() : 'unset');
const isDate = (d: unknown): d is Date => d instanceof Date && !Number.isNaN(d.getTime());

/**
 * The built-in AuditWitness: a directory, ideally on storage the database's operators cannot
 * write (another host's mount, a separate account). It holds `checkpoint`, the latest accepted
 * signed note byte for byte, and `keys.json`, the published key records. Every change is
 * decided and written while holding a lock file, and written atomically (temporary file, fsync,
 * rename), so concurrent processes sharing the directory see one checkpoint history.
 */
export class DirectoryWitness implements AuditWitness {
  private readonly maxClockSkewMs: number;
  private readonly now: () => Date;

  /** `dir` is created (mode 0700) at the first write; constructing does no I/O. */
  constructor(
    private readonly dir: string,
    options: DirectoryWitnessOptions = {},
  ) {
    this.maxClockSkewMs = options.maxClockSkewMs ?? 300_000;
    this.now = options.now ?? (() => new Date());
  }

  describe(): string {
    return `directory ${this.dir}`;
  }

  async latest(): Promise<string | null> {
    return (await this.read(CHECKPOINT_FILE))?.toString('utf8') ?? null;
  }

  async submit(next: string, expected: string | null, proof: Buffer[]): Promise<void> {
    await this.locked(async () => {
      const held = await this.read(CHECKPOINT_FILE);
      // NOTE: bytes, not decoded text: two byte strings can decode to the same text.
      const matches =
        held === null ? expected === null : expected !== null && held.equals(Buffer.from(expected));
      if (!matches) {
        throw new WitnessConflictError(
          'The witness holds another checkpoint than expected (a concurrent submit won, or the submitter ' +
            'is behind): read latest() and build the successor of that one.',
        );
      }
      const keys = await this.readKeys();
      const latestAllowed = new Date(this.now().getTime() + this.maxClockSkewMs);
      checkSuccessor(next, held === null ? null : held.toString('utf8'), proof, keys, latestAllowed);
      await this.write(CHECKPOINT_FILE, next);
    });
  }

  async keys(): Promise<SigningKeyRecord[]> {
    return this.readKeys();
  }

  async publishKey(key: SigningKeyRecord): Promise<void> {
    await this.locked(async () => {
      const keys = mergeKey(await this.readKeys(), key);
      await this.write(KEYS_FILE, formatPublishedKeys(keys));
    });
  }

  private async readKeys(): Promise<SigningKeyRecord[]> {
    const text = await this.read(KEYS_FILE);
    return text === null ? [] : parsePublishedKeys(text.toString('utf8'));
  }

  private async read(name: string): Promise<Buffer | null> {
    try {
      return await readFile(join(this.dir, name));
    } catch (e) {
      if (errorCode(e) === 'ENOENT') return null;
      throw e;
    }
  }

  /** Replaces `name` atomically: readers see the old content or the new, never a part. */
  private async write(name: string, content: string): Promise<void> {
    const temp = join(this.dir, `.${name}.${randomUUID()}.tmp`);
    try {
      const file = await open(temp, 'wx', 0o600);
      try {
        await file.writeFile(content, 'utf8');
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temp, join(this.dir, name));
    } catch (e) {
      await rm(temp, { force: true });
      throw e;
    }
    // NOTE: the rename is durable only once the directory entry is on disk.
    const dir = await open(this.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  /**
   * Runs `fn` holding the directory's lock file, across processes. Waits up to 5 s for another
   * holder; a lock left by a crashed process (dead pid on this host, or older than 30 s) is removed.
   * @throws WitnessConflictError when the lock stays held.
   */
  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const lock = join(this.dir, LOCK_FILE);
    const token = `${hostname()} ${process.pid} ${randomUUID()}\n`;
    // NOTE: lock timing uses the real clock, not options.now: it is compared with file mtimes.
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        await writeFile(lock, token, { flag: 'wx', mode: 0o600 });
        break;
      } catch (e) {
        if (errorCode(e) !== 'EEXIST') throw e;
      }
      if (await breakStaleLock(lock)) continue;
      if (Date.now() >= deadline) {
        throw new WitnessConflictError(
          `The witness lock ${lock} stayed held for ${LOCK_WAIT_MS} ms: retry; if no process is writing ` +
            `the witness, it is removed once ${LOCK_STALE_MS / 1000} s old.`,
        );
      }
      await sleep(10 + Math.random() * 40);
    }
    try {
      return await fn();
    } finally {
      // NOTE: if our lock was broken as stale, the file there now is another process's: leave it.
      const current = await readFile(lock, 'utf8').catch(() => null);
      if (current === token) await rm(lock, { force: true });
    }
  }
}

/** Milliseconds since the file was last modified, or null when it is gone. */
async function age(path: string): Promise<number | null> {
  try {
    return Date.now() - (await stat(path)).mtimeMs;
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return null;
    throw e;
  }
}

/**
 * Whether a lock is stale: older than 30 s, or held by a process of this host that no longer
 * exists (a worker killed mid-submit must not stall the next checkpoint for 30 s).
 */
async function isStale(path: string): Promise<boolean | null> {
  const lockAge = await age(path);
  if (lockAge === null) return null;
  if (lockAge > LOCK_STALE_MS) return true;
  const [host, pid] = (await readFile(path, 'utf8').catch(() => '')).split(' ');
  return host === hostname() && Number(pid) > 0 && !processExists(Number(pid));
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errorCode(e) === 'EPERM';
  }
}

/** Removes the lock if it is stale; true when the caller should try to take it again at once. */
async function breakStaleLock(lock: string): Promise<boolean> {
  const stale = await isStale(lock);
  if (stale === null) return true;
  if (!stale) return false;
  // NOTE: between our stat and now another process may have broken the stale lock and taken a
  // fresh one. So move whatever lock is there aside and look at it again: only a stale one is
  // deleted; a fresh one is linked back (a third process taking the lock in that microsecond
  // window is the one race left, and it needs a crashed holder first).
  const aside = `${lock}.${randomUUID()}.stale`;
  try {
    await rename(lock, aside);
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return true;
    throw e;
  }
  if ((await isStale(aside)) === false) await link(aside, lock).catch(() => undefined);
  await rm(aside, { force: true });
  return true;
}

function reject(reason: string, cause?: unknown): never {
  throw new WitnessRejectedError(`Witness refused: ${reason}`, { cause });
}

/** Whether `verifier` signed `note` (after openCheckpoint has checked every known signature). */
function signedBy(note: string, verifier: NoteVerifier): boolean {
  try {
    openNote(note, [verifier]);
    return true;
  } catch {
    return false;
  }
}

/** Opens a signed checkpoint with the published keys, and names the keys that signed it. */
function openWithKeys(
  note: string,
  keys: SigningKeyRecord[],
  what: string,
): { checkpoint: Checkpoint; signers: SigningKeyRecord[] } {
  const verifiers = keys.map((k) => parseVerifierKey(k.verifierKey));
  try {
    const { checkpoint } = openCheckpoint(note, verifiers);
    // NOTE: openNote reports key names, and all keys of a log share the log's name, so each key
    // is tried on its own to learn which ones signed.
    return { checkpoint, signers: keys.filter((_, i) => signedBy(note, verifiers[i])) };
  } catch (e) {
    if (e instanceof InvalidNoteError || e instanceof InvalidCheckpointError) {
      reject(`${what} does not open with the ${keys.length} published key(s): ${e.message}`, e);
    }
    throw e;
  }
}

/**
 * Throws WitnessRejectedError unless `next` is a validly signed, consistent successor of `held`
 * (null before the first checkpoint) dated no later than `latestAllowed`.
 */
function checkSuccessor(
  next: string,
  held: string | null,
  proof: Buffer[],
  keys: SigningKeyRecord[],
  latestAllowed: Date,
): void {
  const { checkpoint: c, signers } = openWithKeys(next, keys, 'the checkpoint');
  const time = c.time.toISOString();
  const rejections = signers.map((k) => ({ k, why: keyRejection(k, c.time) }));
  if (!rejections.some(({ why }) => why === null)) {
    const list = rejections.map(({ k, why }) => `${k.name}+${k.keyId} ${why}`).join(', ');
    reject(`the checkpoint dated ${time} is signed only by keys not valid then (${list}).`);
  }
  if (c.time > latestAllowed) {
    reject(`the checkpoint is dated ${time}, after the latest time allowed, ${latestAllowed.toISOString()}.`);
  }
  // NOTE: the first checkpoint has nothing to be consistent with.
  if (held === null) return;
  const { checkpoint: h } = openWithKeys(held, keys, 'the held checkpoint');
  if (c.origin !== h.origin) reject(`the origin "${c.origin}" is not the held origin "${h.origin}".`);
  if (c.size < h.size) reject(`the size ${c.size} is smaller than the held size ${h.size}.`);
  if (c.time < h.time)
    reject(`the checkpoint is dated ${time}, before the held one (${h.time.toISOString()}).`);
  if (c.size === h.size && !c.root.equals(h.root)) {
    reject(`the root differs from the held root at the same size ${c.size}: the log forked.`);
  }
  if (!verifyConsistencyProof(h.size, c.size, proof, h.root, c.root)) {
    reject(`the proof does not show the tree of ${c.size} leaves extends the held tree of ${h.size}.`);
  }
}

/** Checks a key record's own fields: the ones checkpoints are matched and judged by. */
function checkKeyRecord(key: SigningKeyRecord): void {
  const label = `key ${key.name}+${key.keyId}`;
  let verifier: NoteVerifier;
  try {
    verifier = parseVerifierKey(key.verifierKey);
  } catch (e) {
    reject(`${label}: the verifier key is malformed (${(e as Error).message}).`, e);
  }
  if (verifier.name !== key.name || verifier.keyId.toString('hex') !== key.keyId) {
    reject(`${label}: the verifier key is of ${verifier.name}+${verifier.keyId.toString('hex')}.`);
  }
  if (key.algorithm !== 'ed25519') reject(`${label}: the algorithm must be ed25519.`);
  if (typeof key.keySetId !== 'string' || key.keySetId === '') reject(`${label}: the keySetId is missing.`);
  if (!(key.status in STATUS_ORDER)) reject(`${label}: unknown status ${String(key.status)}.`);
  if (!isDate(key.notBefore)) reject(`${label}: notBefore must be a valid date.`);
  for (const field of ['notAfter', 'compromisedAt'] as const) {
    if (key[field] !== null && !isDate(key[field]))
      reject(`${label}: ${field} must be a valid date or null.`);
  }
  // NOTE: compromise only takes effect through compromisedAt (see keyRejection).
  if (key.status === 'COMPROMISED' && key.compromisedAt === null) {
    reject(`${label}: a COMPROMISED key needs compromisedAt, from when its signatures fail.`);
  }
}

/** The published keys after publishing `key`: appended when new, else an allowed lifecycle change. */
function mergeKey(keys: SigningKeyRecord[], key: SigningKeyRecord): SigningKeyRecord[] {
  checkKeyRecord(key);
  // NOTE: copy the known fields only: the caller's object may carry more (an ORM entity).
  const record: SigningKeyRecord = {
    keyId: key.keyId,
    keySetId: key.keySetId,
    name: key.name,
    algorithm: key.algorithm,
    verifierKey: key.verifierKey,
    notBefore: key.notBefore,
    notAfter: key.notAfter,
    status: key.status,
    compromisedAt: key.compromisedAt,
  };
  const i = keys.findIndex((k) => k.keyId === key.keyId);
  if (i < 0) return [...keys, record];
  const old = keys[i];
  const label = `key ${key.name}+${key.keyId}`;
  for (const field of ['verifierKey', 'keySetId', 'name', 'algorithm'] as const) {
    if (old[field] !== key[field]) reject(`${label}: ${field} cannot change once published.`);
  }
  if (old.notBefore.getTime() !== key.notBefore.getTime()) reject(`${label}: notBefore cannot change.`);
  if (STATUS_ORDER[key.status] < STATUS_ORDER[old.status]) {
    reject(`${label}: the status cannot go back from ${old.status} to ${key.status}.`);
  }
  for (const field of ['notAfter', 'compromisedAt'] as const) {
    const [was, given] = [old[field], key[field]];
    if (was !== null && given?.getTime() !== was.getTime()) {
      reject(`${label}: ${field} is set once; it is ${iso(was)}, not ${iso(given)}.`);
    }
  }
  return keys.map((k, j) => (j === i ? record : k));
}

import { InvalidCheckpointError } from '../errors/invalid-checkpoint.error';
import { openNote, signNote, type NoteSigner, type NoteVerifier } from './signed-note';

// C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint) body, as this library writes it:
//   <origin>\n<size>\n<base64 root>\ntime <ISO-8601 UTC, milliseconds>\n[<extension>\n]*
// The time line is our first extension line. Parsing is strict, and accepts exactly the texts
// formatCheckpoint writes, so one checkpoint has one text and one signature over it.

const SIZE = /^(0|[1-9][0-9]*)$/;
// 32 bytes are 43 base64 characters and one "=" of padding.
const ROOT = /^[A-Za-z0-9+/]{43}=$/;
const TIME_LINE = /^time (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A log checkpoint: the log's origin, its tree size and root, when it was cut, and any further lines. */
export interface Checkpoint {
  /** Names the log; the signed-note key name of the log's keys. No control characters, no outer spaces. */
  origin: string;
  /** The number of leaves: a non-negative safe integer. */
  size: number;
  /** The RFC 6962 Merkle tree hash of the first `size` leaves: 32 bytes. */
  root: Buffer;
  /** When the checkpoint was cut, written to the millisecond in UTC. */
  time: Date;
  /** The lines after the time line, without their newlines; each non-empty. */
  extensions: string[];
}

function reject(reason: string): never {
  throw new InvalidCheckpointError(`Malformed checkpoint: ${reason}`);
}

function checkOrigin(origin: string): void {
  if (origin === '' || origin.trim() !== origin || CONTROL.test(origin)) {
    reject(
      `the origin ${JSON.stringify(origin)} must be non-empty, with no control characters or outer spaces.`,
    );
  }
}

function checkExtension(line: string): void {
  // NOTE: an empty line would end the note text early: openNote splits text from signatures at
  // the last blank line.
  if (line === '' || line.includes('\n')) reject('an extension line must be non-empty and hold no newline.');
}

/** The time line's value; only years 0000–9999 have the fixed-width form the parser accepts. */
function formatTime(time: Date): string {
  const iso = Number.isNaN(time.getTime()) ? '' : time.toISOString();
  if (!TIME_LINE.test(`time ${iso}`)) reject('the time must be a valid date in the years 0000–9999.');
  return iso;
}

/**
 * The checkpoint's note text (ending with a newline), ready to sign.
 * @throws InvalidCheckpointError when a field could not be parsed back to the same checkpoint.
 */
export function formatCheckpoint(c: Checkpoint): string {
  checkOrigin(c.origin);
  if (!Number.isSafeInteger(c.size) || c.size < 0)
    reject(`the size ${c.size} is not a non-negative safe integer.`);
  if (!Buffer.isBuffer(c.root) || c.root.length !== 32) reject('the root must be 32 bytes.');
  const time = formatTime(c.time);
  c.extensions.forEach(checkExtension);
  const lines = [c.origin, String(c.size), c.root.toString('base64'), `time ${time}`, ...c.extensions];
  return lines.map((line) => `${line}\n`).join('');
}

/**
 * Parses a checkpoint's note text. Strict: only the canonical text of a checkpoint is accepted
 * (no leading zeros, canonical padded base64, the exact time format), so two different texts
 * never stand for the same checkpoint.
 * @throws InvalidCheckpointError naming the first malformed line.
 */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) reject('the text must end with a newline.');
  const [origin, sizeLine, rootLine, timeLine, ...extensions] = text.slice(0, -1).split('\n');
  if (timeLine === undefined) reject('it needs an origin, a size, a root and a time line.');
  checkOrigin(origin);
  const size = Number(sizeLine);
  if (!SIZE.test(sizeLine) || !Number.isSafeInteger(size)) {
    reject(`the size line "${sizeLine}" is not a safe integer in canonical decimal.`);
  }
  const root = Buffer.from(rootLine, 'base64');
  // NOTE: Node's base64 decoder ignores stray characters and non-zero trailing bits; only the
  // text that encodes back to itself is canonical.
  if (!ROOT.test(rootLine) || root.toString('base64') !== rootLine) {
    reject('the root line is not the canonical padded base64 of 32 bytes.');
  }
  const match = TIME_LINE.exec(timeLine);
  const time = new Date(match ? match[1] : NaN);
  // NOTE: Date accepts impossible dates such as 02-30 by rolling over; the round trip refuses them.
  if (!match || Number.isNaN(time.getTime()) || time.toISOString() !== match[1]) {
    reject(`the fourth line "${timeLine}" is not "time <YYYY-MM-DDTHH:mm:ss.sssZ>".`);
  }
  extensions.forEach(checkExtension);
  return { origin, size, root, time, extensions };
}

/** The signed note of the checkpoint. The signer's name is conventionally the checkpoint's origin. */
export function signCheckpoint(c: Checkpoint, signer: NoteSigner): string {
  return signNote(formatCheckpoint(c), [signer]);
}

/**
 * Opens a signed checkpoint: checks the note's signatures against `verifiers` (see openNote),
 * then parses its text strictly.
 * @throws InvalidNoteError when no given key signed it or a known key's signature is bad.
 * @throws InvalidCheckpointError when the signed text is not a well-formed checkpoint.
 */
export function openCheckpoint(
  note: string,
  verifiers: NoteVerifier[],
  /** Notes whose signatures were checked ahead (see openNote). */
  verifiedAhead?: ReadonlySet<string>,
): { checkpoint: Checkpoint; verifiedBy: string[] } {
  const { text, verifiedBy } = openNote(note, verifiers, verifiedAhead);
  return { checkpoint: parseCheckpoint(text), verifiedBy };
}

/**
 * The checkpoint a signed note states, signatures NOT checked: for sizes and display only
 * (verifiers use openCheckpoint).
 * @throws InvalidCheckpointError when the note's text is not a checkpoint.
 */
export function statedCheckpoint(note: string): Checkpoint {
  return parseCheckpoint(note.slice(0, note.lastIndexOf('\n\n') + 1));
}

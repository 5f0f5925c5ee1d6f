import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { InvalidNoteError } from '../errors/invalid-note.error';

// C2SP signed-note (https://c2sp.org/signed-note), Ed25519 signatures (algorithm byte 0x01), as
// golang.org/x/mod/sumdb/note writes them, so transparency-log tools can read our checkpoints.
// Written by hand over node:crypto: no npm package implements the format.

const ALG_ED25519 = 0x01;
const SIGNATURE_PREFIX = '\u2014 '; // "— "
// DER prefixes that wrap a raw 32-byte Ed25519 seed (PKCS#8) or public key (SPKI).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const NAME = /^[^\s+]+$/;

/** An Ed25519 key pair under a signed-note key name. */
export interface NoteSigner {
  name: string;
  keyId: Buffer;
  publicKey: Buffer;
  privateKey: KeyObject;
}

/** A public key a note can be checked against. */
export interface NoteVerifier {
  name: string;
  keyId: Buffer;
  publicKey: Buffer;
}

function checkName(name: string): void {
  if (!NAME.test(name))
    throw new InvalidNoteError(`Key name "${name}" must be non-empty, with no space or "+".`);
}

/** The 4-byte key id: SHA-256(name || "\n" || 0x01 || public key)[0:4]. */
export function noteKeyId(name: string, publicKey: Buffer): Buffer {
  return createHash('sha256')
    .update(`${name}\n`)
    .update(Buffer.from([ALG_ED25519]))
    .update(publicKey)
    .digest()
    .subarray(0, 4);
}

/** A signer from a 32-byte Ed25519 seed. */
export function noteSignerFromSeed(name: string, seed: Buffer): NoteSigner {
  checkName(name);
  if (seed.length !== 32) throw new InvalidNoteError('An Ed25519 seed is 32 bytes.');
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKey = createPublicKey(privateKey)
    .export({ format: 'der', type: 'spki' })
    .subarray(SPKI_PREFIX.length);
  return { name, keyId: noteKeyId(name, publicKey), publicKey, privateKey };
}

/** Verifier key string: `<name>+<hex key id>+<base64(0x01 || public key)>`. */
export function formatVerifierKey(v: Pick<NoteVerifier, 'name' | 'publicKey'>): string {
  const id = noteKeyId(v.name, v.publicKey).toString('hex');
  return `${v.name}+${id}+${Buffer.concat([Buffer.from([ALG_ED25519]), v.publicKey]).toString('base64')}`;
}

function parseKey(text: string, what: string): { name: string; keyId: Buffer; key: Buffer } {
  // Only the first two "+" separate fields: the base64 key may contain "+" itself.
  const first = text.indexOf('+');
  const second = text.indexOf('+', first + 1);
  const [name, hexId, encoded] = [
    text.slice(0, first),
    text.slice(first + 1, second),
    text.slice(second + 1),
  ];
  const raw = Buffer.from(encoded, 'base64');
  if (
    first <= 0 ||
    second < 0 ||
    !/^[0-9a-f]{8}$/.test(hexId) ||
    raw.length !== 33 ||
    raw[0] !== ALG_ED25519
  ) {
    throw new InvalidNoteError(`Malformed ${what} key.`);
  }
  return { name, keyId: Buffer.from(hexId, 'hex'), key: raw.subarray(1) };
}

/** Parses a verifier key string; its key id must match its name and key. */
export function parseVerifierKey(vkey: string): NoteVerifier {
  const { name, keyId, key } = parseKey(vkey, 'verifier');
  if (!noteKeyId(name, key).equals(keyId))
    throw new InvalidNoteError(`Verifier key ${name}: key id does not match.`);
  return { name, keyId, publicKey: key };
}

/** Parses `PRIVATE+KEY+<name>+<hex id>+<base64(0x01 || seed)>` (the format note.GenerateKey writes). */
export function parseSignerKey(skey: string): NoteSigner {
  if (!skey.startsWith('PRIVATE+KEY+')) throw new InvalidNoteError('Malformed signer key.');
  const { name, keyId, key } = parseKey(skey.slice('PRIVATE+KEY+'.length), 'signer');
  const signer = noteSignerFromSeed(name, key);
  if (!signer.keyId.equals(keyId)) throw new InvalidNoteError(`Signer key ${name}: key id does not match.`);
  return signer;
}

/** Signs `text` (which must end with a newline) and returns the signed note. */
export function signNote(text: string, signers: NoteSigner[]): string {
  if (!text.endsWith('\n') || text.includes('\n\n' + SIGNATURE_PREFIX)) {
    throw new InvalidNoteError('Note text must end with a newline and hold no signature block.');
  }
  const lines = signers.map((s) => {
    const signature = sign(null, Buffer.from(text, 'utf8'), s.privateKey);
    return `${SIGNATURE_PREFIX}${s.name} ${Buffer.concat([s.keyId, signature]).toString('base64')}\n`;
  });
  return `${text}\n${lines.join('')}`;
}

// Importing a key costs more than an Ed25519 verification; readers check the same few keys on
// every read, so each is imported once. Only trusted keys reach here: the map stays small.
const keyObjects = new Map<string, KeyObject>();

function keyObject(publicKey: Buffer): KeyObject {
  const id = publicKey.toString('hex');
  let key = keyObjects.get(id);
  if (!key) {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
    keyObjects.set(id, key);
  }
  return key;
}

/** A note's text and its signature lines by the given verifiers (others are ignored). */
function signaturesBy(
  note: string,
  verifiers: NoteVerifier[],
): { text: string; signatures: { verifier: NoteVerifier; raw: Buffer }[] } {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new InvalidNoteError('Malformed note: no signature block.');
  const signatures: { verifier: NoteVerifier; raw: Buffer }[] = [];
  // NOTE: one signature per key, as Go's note.Open insists: a repeated line changes the note's
  // bytes without changing what it proves, and a sealed file must not admit such edits.
  const seen = new Set<string>();
  for (const line of note.slice(split + 2, -1).split('\n')) {
    const match = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    const raw = match ? Buffer.from(match[2], 'base64') : Buffer.alloc(0);
    if (!match || raw.length < 5) throw new InvalidNoteError('Malformed note: bad signature line.');
    const signer = `${match[1]}+${raw.subarray(0, 4).toString('hex')}`;
    if (seen.has(signer)) throw new InvalidNoteError(`Malformed note: ${signer} signs it twice.`);
    seen.add(signer);
    const verifier = verifiers.find((v) => v.name === match[1] && v.keyId.equals(raw.subarray(0, 4)));
    if (verifier) signatures.push({ verifier, raw });
  }
  return { text: note.slice(0, split + 1), signatures };
}

/**
 * Opens a signed note: returns its text and the names of the given verifiers whose signatures
 * check. Throws when the note is malformed, when a signature by a known key is invalid, or when no
 * known key signed it. Signatures by unknown keys are ignored, as the specification requires.
 * `verifiedAhead`: notes whose signatures by these verifiers `noteSignaturesValid` has already
 * found valid; only their Ed25519 verification is skipped.
 */
export function openNote(
  note: string,
  verifiers: NoteVerifier[],
  verifiedAhead?: ReadonlySet<string>,
): { text: string; verifiedBy: string[] } {
  const { text, signatures } = signaturesBy(note, verifiers);
  const ahead = verifiedAhead?.has(note) === true;
  for (const { verifier, raw } of signatures) {
    const valid =
      raw.length === 68 &&
      (ahead || verify(null, Buffer.from(text, 'utf8'), keyObject(verifier.publicKey), raw.subarray(4)));
    if (!valid) throw new InvalidNoteError(`Invalid signature by ${verifier.name} on the note.`);
  }
  if (signatures.length === 0) throw new InvalidNoteError('The note is not signed by any known key.');
  return { text, verifiedBy: signatures.map((s) => s.verifier.name) };
}

/**
 * True when `openNote(note, verifiers)` would find every signature valid, checked in libuv's
 * thread pool (crypto.verify with a callback): a verifier of many statements checks their
 * signatures on another core while it hashes events.
 */
export async function noteSignaturesValid(note: string, verifiers: NoteVerifier[]): Promise<boolean> {
  let parsed;
  try {
    parsed = signaturesBy(note, verifiers);
  } catch {
    return false;
  }
  const data = Buffer.from(parsed.text, 'utf8');
  const checks = parsed.signatures.map(
    ({ verifier, raw }) =>
      new Promise<boolean>((resolve) => {
        if (raw.length !== 68) resolve(false);
        else verify(null, data, keyObject(verifier.publicKey), raw.subarray(4), (e, ok) => resolve(!e && ok));
      }),
  );
  return checks.length > 0 && (await Promise.all(checks)).every(Boolean);
}

/** The key ids (hex) of a note's signature lines, in order, without checking any signature. */
export function signatureKeyIds(note: string): string[] {
  const split = note.lastIndexOf('\n\n');
  if (split < 0) return [];
  return note
    .slice(split + 2)
    .split('\n')
    .map((line) => /^\u2014 \S+ ([A-Za-z0-9+/=]+)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Buffer.from(m[1], 'base64').subarray(0, 4).toString('hex'));
}

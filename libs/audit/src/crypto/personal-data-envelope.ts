import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { PersonalDataUnreadableError } from '../errors/personal-data-unreadable.error';
import { canonicalJson } from './canonical-json';

/** The `$pd` member of every personal-data envelope: AES-256-GCM, envelope format 1. */
export const PERSONAL_DATA_ALG = 'aes-256-gcm/v1';

/**
 * A personal value as stored, hashed and exported: AES-256-GCM under the subject's data key, with
 * a fresh 96-bit IV per value and the subject id and field name as additional authenticated data.
 * Every member is a string (base64 for bytes), so it passes RFC 8785 canonicalisation and JSONB
 * unchanged.
 */
export interface PersonalDataEnvelope {
  $pd: typeof PERSONAL_DATA_ALG;
  /** Whose key encrypts the value: the subject id (not personal data itself; never encrypted). */
  subject: string;
  iv: string;
  ct: string;
  tag: string;
}

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const MEMBERS = ['$pd', 'ct', 'iv', 'subject', 'tag'];

/** True for an object of exactly the envelope's members with `$pd` = `aes-256-gcm/v1`. */
export function isPersonalDataEnvelope(value: unknown): value is PersonalDataEnvelope {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  // NOTE: the tag first: readers test every JSON object of every event they show.
  if (record.$pd !== PERSONAL_DATA_ALG) return false;
  const keys = Object.keys(record).sort();
  return (
    keys.length === MEMBERS.length && keys.every((k, i) => k === MEMBERS[i] && typeof record[k] === 'string')
  );
}

// NOTE: the AAD binds the ciphertext to its subject and field, so it cannot be moved to another
// subject's record or to another field and still open.
const valueAad = (subject: string, field: string) =>
  Buffer.from(JSON.stringify(['audit-pd/v1', subject, field]), 'utf8');
const keyAad = (subject: string) => Buffer.from(JSON.stringify(['audit-subject-key/v1', subject]), 'utf8');

function checkKey(key: Buffer, what: string): void {
  if (key.length !== KEY_BYTES) throw new PersonalDataUnreadableError(`${what} must be 32 bytes.`);
}

function seal(key: Buffer, plaintext: Buffer, aad: Buffer, iv: Buffer) {
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { ct, tag: cipher.getAuthTag() };
}

function open(key: Buffer, iv: Buffer, ct: Buffer, tag: Buffer, aad: Buffer): Buffer | null {
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ct), decipher.final()]);
  } catch {
    return null;
  }
}

/**
 * Encrypts one JSON value (its RFC 8785 form) for `subject`'s `field`. `iv` is for test vectors
 * only: every real call draws a fresh random IV (an IV reused under one key breaks GCM).
 */
export function sealPersonalValue(
  dataKey: Buffer,
  subject: string,
  field: string,
  value: unknown,
  iv: Buffer = randomBytes(IV_BYTES),
): PersonalDataEnvelope {
  checkKey(dataKey, 'A subject data key');
  const { ct, tag } = seal(dataKey, canonicalJson(value), valueAad(subject, field), iv);
  return {
    $pd: PERSONAL_DATA_ALG,
    subject,
    iv: iv.toString('base64'),
    ct: ct.toString('base64'),
    tag: tag.toString('base64'),
  };
}

/**
 * The JSON value in `envelope`, found at `field`.
 * @throws PersonalDataUnreadableError when the key, the subject or the field is not the one it was sealed with.
 */
export function openPersonalValue(dataKey: Buffer, envelope: PersonalDataEnvelope, field: string): unknown {
  checkKey(dataKey, 'A subject data key');
  const b64 = (s: string) => Buffer.from(s, 'base64');
  const plain = open(
    dataKey,
    b64(envelope.iv),
    b64(envelope.ct),
    b64(envelope.tag),
    valueAad(envelope.subject, field),
  );
  if (!plain) {
    throw new PersonalDataUnreadableError(
      `A personal value of subject ${JSON.stringify(envelope.subject)} in field ${JSON.stringify(field)} ` +
        'does not open with that subject’s key: it was moved or altered, or the key-encryption key differs.',
    );
  }
  return JSON.parse(plain.toString('utf8')) as unknown;
}

/** A subject's data key wrapped (AES-256-GCM, AAD: the subject id) under the key-encryption key: iv ‖ tag ‖ ct. */
export function wrapSubjectKey(
  kek: Buffer,
  subject: string,
  dataKey: Buffer,
  iv: Buffer = randomBytes(IV_BYTES),
): Buffer {
  checkKey(kek, 'The subject key-encryption key');
  checkKey(dataKey, 'A subject data key');
  const { ct, tag } = seal(kek, dataKey, keyAad(subject), iv);
  return Buffer.concat([iv, tag, ct]);
}

/**
 * The data key in `wrapped`.
 * @throws PersonalDataUnreadableError when `kek` did not wrap it or it belongs to another subject.
 */
export function unwrapSubjectKey(kek: Buffer, subject: string, wrapped: Buffer): Buffer {
  checkKey(kek, 'The subject key-encryption key');
  const iv = wrapped.subarray(0, IV_BYTES);
  const tag = wrapped.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
  const key = open(kek, iv, wrapped.subarray(IV_BYTES + TAG_BYTES), tag, keyAad(subject));
  if (!key || key.length !== KEY_BYTES) {
    throw new PersonalDataUnreadableError(
      `The key of subject ${JSON.stringify(subject)} does not unwrap: the key-encryption key is not the ` +
        'one that wrapped it (set AUDIT_SUBJECT_KEK or restore the subject-kek file) or the row was altered.',
    );
  }
  return key;
}

/** A fresh random 256-bit subject data key. */
export const newSubjectKey = (): Buffer => randomBytes(KEY_BYTES);

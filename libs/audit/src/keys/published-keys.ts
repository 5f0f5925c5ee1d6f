import type { SigningKeyRecord } from './signing-key-record';

/** A key record as a published `keys.json` stores it: dates as ISO-8601 strings. */
type StoredKey = Omit<SigningKeyRecord, 'notBefore' | 'notAfter' | 'compromisedAt'> & {
  notBefore: string;
  notAfter: string | null;
  compromisedAt: string | null;
};

/**
 * The published keys as text: the witness's `keys.json`, also copied into every export bundle.
 * An offline verifier is given this file (`verify --bundle … --keys <witness>/keys.json`).
 */
export function formatPublishedKeys(keys: SigningKeyRecord[]): string {
  const stored: StoredKey[] = keys.map((k) => ({
    ...k,
    notBefore: k.notBefore.toISOString(),
    notAfter: k.notAfter?.toISOString() ?? null,
    compromisedAt: k.compromisedAt?.toISOString() ?? null,
  }));
  return `${JSON.stringify(stored, null, 2)}\n`;
}

const isoDate = (value: unknown): boolean =>
  typeof value === 'string' && !Number.isNaN(new Date(value).getTime());
const STATUSES: readonly unknown[] = ['ACTIVE', 'RETIRED', 'COMPROMISED'];

/**
 * Whether a stored record can be judged: a key's window comes only from its dates, so a missing
 * or unreadable one must not become an invalid Date (every comparison with it is false, so the
 * bound would silently vanish and the key be valid at every time).
 */
const isStoredKey = (k: Partial<StoredKey> | null): boolean =>
  typeof k?.keyId === 'string' &&
  typeof k.verifierKey === 'string' &&
  STATUSES.includes(k.status) &&
  isoDate(k.notBefore) &&
  (k.notAfter === null || isoDate(k.notAfter)) &&
  (k.compromisedAt === null || isoDate(k.compromisedAt)) &&
  (k.status !== 'COMPROMISED' || k.compromisedAt !== null);

/** @throws SyntaxError / TypeError when the text is not a published keys file. */
export function parsePublishedKeys(text: string): SigningKeyRecord[] {
  const stored = JSON.parse(text) as StoredKey[];
  if (!Array.isArray(stored) || !stored.every((k) => isStoredKey(k)))
    throw new TypeError(
      'a keys file is a JSON array of published key records, each with keyId, verifierKey, status, ' +
        'notBefore (an ISO-8601 date) and notAfter / compromisedAt (a date or null)',
    );
  return stored.map((k) => ({
    ...k,
    notBefore: new Date(k.notBefore),
    notAfter: k.notAfter === null ? null : new Date(k.notAfter),
    compromisedAt: k.compromisedAt === null ? null : new Date(k.compromisedAt),
  }));
}

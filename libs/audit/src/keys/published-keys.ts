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

/** @throws SyntaxError / TypeError when the text is not a published keys file. */
export function parsePublishedKeys(text: string): SigningKeyRecord[] {
  const stored = JSON.parse(text) as StoredKey[];
  if (
    !Array.isArray(stored) ||
    stored.some((k) => typeof k?.keyId !== 'string' || typeof k.verifierKey !== 'string')
  )
    throw new TypeError('a keys file is a JSON array of published key records');
  return stored.map((k) => ({
    ...k,
    notBefore: new Date(k.notBefore),
    notAfter: k.notAfter === null ? null : new Date(k.notAfter),
    compromisedAt: k.compromisedAt === null ? null : new Date(k.compromisedAt),
  }));
}

import { createHmac, hkdfSync } from 'node:crypto';

/**
 * The key of login pseudonyms, derived from the token secret (HKDF-SHA256, its own `info`): no
 * second secret to provision or leak, and the derived key says nothing about the token secret.
 */
export function pseudonymKey(jwtSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', jwtSecret, 'audit-ledger', 'login username pseudonym v1', 32));
}

/**
 * HMAC-SHA256 of an attempted username, hex: the same name always gives the same pseudonym (so
 * repeated attempts correlate), but reading it back needs the key, which auditors do not hold.
 */
export function usernamePseudonym(key: Buffer, username: string): string {
  return createHmac('sha256', key).update(username, 'utf8').digest('hex');
}

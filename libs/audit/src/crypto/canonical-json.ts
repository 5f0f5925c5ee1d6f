import canonicalize from 'canonicalize';
import { InvalidHashError } from '../errors/invalid-hash.error';

/**
 * RFC 8785 (JCS) canonical form of a JSON value, as UTF-8 bytes: what every hash and signature
 * of the ledger is computed over. `canonicalize` 2.1 is the maintained CommonJS release of the
 * RFC author's reference algorithm (3.x and later are ESM-only); it passes ../shared/vectors/jcs.
 */
export function canonicalJson(value: unknown): Buffer {
  const text = canonicalize(value);
  if (text === undefined)
    throw new InvalidHashError('Only JSON values have a canonical form (got undefined).');
  return Buffer.from(text, 'utf8');
}

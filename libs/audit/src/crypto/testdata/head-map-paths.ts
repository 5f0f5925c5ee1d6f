import { keyBits, MAX_DEPTH } from '../head-map';

/**
 * The prefixes whose stored nodes `applyHeadUpdates` and `headMapProof` need for `key`, down to
 * `depth` (capped at 256): the path's prefixes of lengths 0..depth and their siblings. What
 * storage/head-map.store loads (walking the paths in the database) must be exactly the stored
 * nodes among them; the specs load their simulated maps with it.
 */
export function pathPrefixes(key: Buffer, depth: number): string[] {
  const bits = keyBits(key);
  const prefixes = [''];
  for (let d = 1; d <= Math.min(depth, MAX_DEPTH); d++) {
    const parent = bits.slice(0, d - 1);
    const bit = bits[d - 1];
    prefixes.push(parent + bit, parent + (bit === '0' ? '1' : '0'));
  }
  return prefixes;
}

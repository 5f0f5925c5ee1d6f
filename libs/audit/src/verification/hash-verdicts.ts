import { eventRowOfJson, recordedFields, storedLinkOf } from '../storage/sealed-event.mapper';
import { HashVerdict, hashVerdict } from './chain-verifier';

/**
 * The hash verdict of each event row given as JSON text (storage/verification.store.ts
 * `EVENT_JSON`): whether its recorded fields hash to its recorded hash. Pure, and all it needs is
 * the text, so a worker thread can compute it (./event-hash.pool.ts). Text that is not such a row
 * is a mismatch, never an exception.
 */
export function hashVerdictsOf(bodies: readonly string[]): Uint8Array<ArrayBuffer> {
  const verdicts = new Uint8Array(bodies.length);
  for (let i = 0; i < bodies.length; i++) {
    let verdict: HashVerdict = HashVerdict.MISMATCH;
    try {
      const row = eventRowOfJson(bodies[i]);
      verdict = hashVerdict(recordedFields(row), storedLinkOf(row));
    } catch {
      verdict = HashVerdict.MISMATCH;
    }
    verdicts[i] = verdict;
  }
  return verdicts;
}

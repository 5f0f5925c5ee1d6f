import { parentPort } from 'node:worker_threads';
import { hashVerdictsOf } from './hash-verdicts';

/** A thread of ./event-hash.pool.ts: hash verdicts of the bodies it is sent, nothing else. */
parentPort?.on('message', ({ id, bodies }: { id: number; bodies: string[] }) => {
  const verdicts = hashVerdictsOf(bodies);
  parentPort?.postMessage({ id, verdicts }, [verdicts.buffer]);
});

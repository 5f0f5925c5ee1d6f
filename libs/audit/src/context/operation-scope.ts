import { AsyncLocalStorage } from 'node:async_hooks';
import type { CaptureContext } from '../capture/captured-row';

/**
 * An `@Auditable` call in progress: the context its transaction must carry to the capture trigger.
 * `applied` turns true once a transaction (or savepoint) of the call has it set.
 */
export interface OperationFrame {
  context: CaptureContext;
  text: string;
  applied: boolean;
}

/**
 * The audited call a piece of code runs in. NOTE: an AsyncLocalStorage of its own rather than CLS:
 * it must also work where no CLS context is open (workers, jobs, the CLI), and it only ever lives
 * for one call.
 */
export const operationScope = new AsyncLocalStorage<OperationFrame>();

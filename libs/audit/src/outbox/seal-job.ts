/** An event a sealing job names. The outbox row is the source of truth; the job only says where to look. */
export interface SealJobEvent {
  eventId: string;
  entityType: string;
  entityId: string;
}

/**
 * Data of a sealing job: the events committed within a few milliseconds, by one transaction or
 * several (at most `SEAL_JOB_EVENTS`), or the one event the relay or a dead letter's retry queues again. A job seals whatever is waiting,
 * oldest first, and finishes once its own events are sealed (or blocked behind a dead letter).
 */
export interface SealJob {
  events: SealJobEvent[];
  /**
   * Seal whatever waits, oldest first, until nothing does: queued after a transaction whose rows
   * the database captured (their ids are the database's, unknown to the app).
   */
  sweep?: boolean;
}

/** Events per job at most: a transaction writing more gets several jobs. */
export const SEAL_JOB_EVENTS = 1000;

/** An event parked because it could not be sealed. Its entity's later events wait behind it. */
export interface DeadLetter {
  eventId: string;
  entityType: string;
  entityId: string;
  attempts: number;
  /** Why the last attempt failed (what was wrong, never a payload value). */
  lastError: string;
  deadLetteredAt: Date;
  /** Events of the same entity committed after it, waiting (policy BLOCK). */
  blockedEvents: number;
}

/** Data of a sealing job. The outbox row is the source of truth; the job only says where to look. */
export interface SealJob {
  eventId: string;
  entityType: string;
  entityId: string;
}

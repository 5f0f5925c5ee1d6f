/** A retention rule: events of its scope may leave the live store `archiveAfterDays` after their month ends. */
export interface RetentionRule {
  id: string;
  /** null: every tenant. */
  tenantId: string | null;
  /** null: every entity type. */
  entityType: string | null;
  archiveAfterDays: number;
  reason: string;
  createdBy: string;
  createdAt: Date;
}

/** A legal hold: matching events may not be archived (deleted from the live store) until it is released. */
export interface LegalHold {
  id: string;
  tenantId: string | null;
  entityType: string | null;
  /** With an entity type: one record only. */
  entityId: string | null;
  reason: string;
  createdBy: string;
  createdAt: Date;
  releasedAt: Date | null;
  releasedBy: string | null;
}

/** Whether one monthly partition may be archived now, and why not. */
export interface PartitionDecision {
  partition: string;
  periodStart: Date;
  periodEnd: Date;
  events: number;
  fromSeq: number | null;
  toSeq: number | null;
  allowed: boolean;
  /** Each reason it may not be archived yet (no rule, a rule's time not reached, a hold). */
  blockers: string[];
}

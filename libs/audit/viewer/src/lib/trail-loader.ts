import { ApiError } from '../api/api-error';
import {
  searchEvents,
  trailPage,
  verifyTrail,
  type AuditEvent,
  type ChainVerification,
} from '../api/audit-queries';

/** At most this many events are read for one trail view (the page says when there are more). */
export const TRAIL_LIMIT = 5000;

export interface LoadedTrail {
  /** Chain order (oldest first). */
  events: AuditEvent[];
  verification: ChainVerification;
  /** True when the API refused the trail as tampered and `events` come from the unverified search. */
  tampered: boolean;
  /** More events exist than were read. */
  truncated: boolean;
}

/**
 * The whole trail, verified: auditTrail, page after page. A tampered chain is refused by
 * auditTrail (AUDIT_CHAIN_TAMPERED); then verifyAuditTrail says where and why, and the events are
 * read through the search (which does not verify) so that they can be shown, marked unverified.
 */
export async function loadTrail(
  entityType: string,
  entityId: string,
  pageSize: number,
): Promise<LoadedTrail> {
  try {
    return await verifiedTrail(entityType, entityId, pageSize);
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== 'AUDIT_CHAIN_TAMPERED') throw error;
  }
  const verification = await verifyTrail(entityType, entityId);
  const events: AuditEvent[] = [];
  let after: string | null = null;
  let more = true;
  while (more && events.length < TRAIL_LIMIT) {
    const page = await searchEvents({ entityType, entityId }, pageSize, after, false);
    events.push(...page.edges.map((e) => e.node));
    more = page.pageInfo.hasNextPage;
    after = page.pageInfo.endCursor;
  }
  events.sort((a, b) => a.chainSeq - b.chainSeq);
  return { events, verification, tampered: true, truncated: more };
}

async function verifiedTrail(entityType: string, entityId: string, pageSize: number): Promise<LoadedTrail> {
  const events: AuditEvent[] = [];
  let after: string | null = null;
  let more = true;
  let verification: ChainVerification | null = null;
  while (more && events.length < TRAIL_LIMIT) {
    const page = await trailPage(entityType, entityId, pageSize, after);
    events.push(...page.edges.map((e) => e.node));
    verification = page.verification;
    more = page.pageInfo.hasNextPage;
    after = page.pageInfo.endCursor;
  }
  if (!verification) throw new ApiError('BAD_RESPONSE', 'The trail came without its verification.');
  return { events, verification, tampered: !verification.valid, truncated: more };
}

/** The first chainSeq that failed verification; null when the chain is intact. */
export function firstBadSeq(verification: ChainVerification): number | null {
  if (verification.valid && verification.failures.length === 0) return null;
  const seqs = verification.failures.map((f) => f.chainSeq).filter((s) => Number.isInteger(s));
  return seqs.length ? Math.min(...seqs) : 0;
}

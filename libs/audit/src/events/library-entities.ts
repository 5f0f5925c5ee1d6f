/**
 * Entity types of the events the library records about itself, in one style (dotted, lower
 * case): `entity_type like 'audit.%'` finds the library's own bookkeeping, `http.request` the
 * request log. Application entity types never contain a dot by convention (class names).
 */
/** Signing-key lifecycle (KEY_ROTATED, KEY_COMPROMISED); entity id: the key set. */
export const SIGNING_KEY_ENTITY = 'audit.signing_key';
/** Personal-data erasure (ERASE); entity id: the data subject. */
export const SUBJECT_ENTITY = 'audit.subject';
/** Archival of a closed month (ARCHIVE); entity id: the partition. */
export const ARCHIVE_ENTITY = 'audit.archive';
/** Reads of the audit API (AUDIT_QUERY, PERMISSION_DENIED); entity id: the reader. */
export const AUDIT_QUERY_ENTITY = 'audit.query';
/**
 * Runs of the full or incremental log verification (LOG_VERIFIED, LOG_VERIFICATION_FAILED), with
 * their result in `metadata`; entity id: the log's origin.
 */
export const LOG_VERIFICATION_ENTITY = 'audit.log_verification';
/** Request-level audit entries; entity id: the request id. */
export const HTTP_REQUEST_ENTITY = 'http.request';
/** A revert of one change (`AuditRevertService.revertChange`); its failed attempts end in `_FAILED`. */
export const REVERT_ACTION = 'REVERT';
/** A restore of a record to a point in its history (`AuditRevertService.restoreEntity`). */
export const RESTORE_ACTION = 'RESTORE';

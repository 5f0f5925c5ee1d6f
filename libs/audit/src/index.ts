// The public API of the audit library: everything an application may use, and nothing else.
export { AuditModule } from './audit.module';
export { AUDIT_ASYNC_OPTIONS_TYPE, AUDIT_OPTIONS_TYPE } from './audit.module-definition';
export type {
  AuditApiOptions,
  AuditForwardingOptions,
  AuditModuleOptions,
  AuditRequest,
  RequestAuditOptions,
} from './audit-options.interface';
export type { AuditViewerOptions } from './viewer/audit-viewer-options.interface';
export { DEFAULT_MASKED_FIELD_PATTERN } from './audit-options';
export { AUDIT_QUEUE, AUDIT_SCHEMA, ERASED_VALUE, MASKED_VALUE } from './audit.constants';
export { Auditable } from './decorators/auditable.decorator';
export type { AuditableOptions } from './decorators/auditable-options.interface';
export { AuditMasked } from './decorators/audit-masked.decorator';
export { AuditedEntity, type AuditedEntityOptions } from './decorators/audited-entity.decorator';
export { auditCaptureSql, dropAuditCaptureSql, type AuditCaptureTable } from './storage/audit-capture.sql';
export { CapturedTables } from './capture/captured-tables.registry';
export { AuditService } from './audit.service';
export { AuditContextService } from './context/audit-context.service';
export type { AuditContextSnapshot } from './context/audit-context';
export { requestIdResolver } from './context/request-id';
export { auditReadEvent, type AuditReadDecision } from './context/audit-read-access';
export {
  ARCHIVE_ENTITY,
  AUDIT_QUERY_ENTITY,
  HTTP_REQUEST_ENTITY,
  LOG_VERIFICATION_ENTITY,
  RESTORE_ACTION,
  REVERT_ACTION,
  SIGNING_KEY_ENTITY,
  SUBJECT_ENTITY,
} from './events/library-entities';
export type {
  ActorType,
  AuditActor,
  AuditEvent,
  AuditSource,
  DatabaseFacts,
  EventOrigin,
  FieldChange,
  JsonObject,
  JsonPatchOperation,
  SealedAuditEvent,
} from './events/audit-event';
export type { RecordAuditEventInput } from './events/record-audit-event.input';
export { EventSealer } from './sealing/event.sealer';
export { OutboxRelay } from './outbox/outbox.relay';
export { AuditDeadLetters } from './outbox/audit-dead-letters.service';
export type { DeadLetter } from './outbox/dead-letter';
export { AUDIT_ENTITIES } from './storage/audit-entities';
export { AUDIT_MIGRATIONS } from './storage/audit-migrations';
export { auditRoleGrants, type AuditRoles } from './storage/audit-grants';
export { canonicalJson } from './crypto/canonical-json';
export {
  consistencyProof,
  inclusionProof,
  merkleLeafHash,
  merkleNodeHash,
  merkleRoot,
  verifyConsistencyProof,
  verifyInclusionProof,
  type TreeIndex,
} from './crypto/merkle';
export {
  EVENT_HASH_ALG,
  EVENT_HASH_ALG_V1,
  eventHash,
  GENESIS_HASH,
  hashedEventFields,
} from './crypto/event-hash';
export { appendLeaf, consistencyProofFromRange, rangeRoot, type CompactRange } from './crypto/compact-range';
export {
  formatCheckpoint,
  openCheckpoint,
  parseCheckpoint,
  signCheckpoint,
  type Checkpoint,
} from './crypto/checkpoint';
export {
  entityKey,
  headLeafHash,
  headMapRoot,
  verifyHeadMapProof,
  type HeadMapProof,
  type HeadValue,
} from './crypto/head-map';
export {
  headLine,
  headMoved,
  headsLine,
  movedHeadLeaf,
  movedHeads,
  movedLine,
  parseHeadLine,
  parseHeadsLine,
  parseStatementClaim,
  STATEMENT_V2,
  type EntityHead,
  type MovedHeads,
  type StatementClaim,
} from './crypto/log-statements';
export {
  formatVerifierKey,
  noteKeyId,
  noteSignerFromSeed,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  signatureKeyIds,
  signNote,
  type NoteSigner,
  type NoteVerifier,
} from './crypto/signed-note';
export type { ChainFailure, ChainFailureReason, ChainVerification } from './verification/chain-verification';
export { verifyChain, type ChainHead } from './verification/chain-verifier';
export type {
  LogFailure,
  LogFailureReason,
  LogVerification,
  LogVerifyOptions,
} from './verification/log-verification';
export { LogVerifier } from './verification/log.verifier';
export type {
  BundleFailure,
  BundleFailureReason,
  BundleVerification,
} from './verification/bundle-verification';
export { verifyBundle, type BundleVerifyOptions } from './verification/bundle-verifier';
export {
  AuditExporter,
  type ExportRequest,
  type ExportResult,
  type ProgressListener,
} from './export/audit.exporter';
export type { BundleManifest, BundleSelection, EventFileFormat } from './export/bundle-manifest';
export {
  BundleFileError,
  DirectoryBundleStore,
  type BundleFileProblem,
  type BundleStore,
  type WrittenFile,
} from './export/bundle-store';
export { ECS_VERSION, fromEcsDocument, toEcsDocument, type EcsDocument } from './export/ecs-document';
export { formatPublishedKeys, parsePublishedKeys } from './keys/published-keys';
export { DirectoryArchiveSink, type ArchiveSink } from './archive/archive-sink';
export { AuditArchiver, type ArchivedSegment, type ArchiveReport } from './archive/audit-archiver.service';
export { LEGAL_HOLD_ENTITY, RETENTION_ENTITY, RetentionPolicy } from './archive/retention-policy.service';
export type { LegalHold, PartitionDecision, RetentionRule } from './archive/retention';
export type { AuditKeyProvider } from './keys/audit-key-provider';
export { DirectoryKeyProvider } from './keys/directory.key-provider';
export { EnvKeyProvider } from './keys/env.key-provider';
export { auditOptionsFromEnv, type AuditEnvironment } from './audit-env';
export { KeyRegistry, type RotationReason } from './keys/key-registry.service';
export type { SigningKeyRecord, SigningKeyStatus } from './keys/signing-key-record';
export type { AuditWitness } from './witness/audit-witness';
export { DirectoryWitness, type DirectoryWitnessOptions } from './witness/directory.witness';
export { Checkpointer } from './sealing/checkpointer.service';
export { DRIFT_DETECTED } from './events/audit-event.factory';
export { auditQueryLimits, type AuditQueryLimitOptions } from './graphql/audit-query-limits';
export { auditErrorFormatter, type AuditErrorFormatterOptions } from './graphql/audit-error-formatter';
export { CLIENT_ERROR_CODES } from './errors/client-error-codes';
export { INTERNAL_ERROR_MESSAGE, reportInternalError } from './errors/internal-error-report';
export { auditRequestPlugin, type AuditRequestPluginOptions } from './request/audit-request.plugin';
export type { AuditedRequest, RequestOutcome } from './request/audited-request';
export { HTTP_REQUEST_ACTION } from './request/request-audit.recorder';
export { GlobalAuditorsOnly } from './graphql/audit-read.guard';
export { AuditQueryService } from './query/audit-query.service';
export {
  AuditRevertService,
  type RestorePoint,
  type RevertOptions,
  type RevertOutcome,
  type RevertPreview,
} from './revert/audit-revert.service';
export { defaultWritableFields, type AuditRestoreRequest, type AuditRestorer } from './revert/audit-restorer';
export type {
  FieldPlan,
  NotRestorableField,
  NotRestorableReason,
  RevertConflictPolicy,
  RevertDecision,
  RevertMode,
  RevertPlan,
} from './revert/revert-plan';
export {
  AuditSubjectErasure,
  type SubjectErasure,
  type SubjectKeyStatus,
} from './personal-data/audit-subject-erasure.service';
export { PersonalDataReader } from './personal-data/personal-data.reader';
export {
  isPersonalDataEnvelope,
  openPersonalValue,
  PERSONAL_DATA_ALG,
  sealPersonalValue,
  unwrapSubjectKey,
  wrapSubjectKey,
  type PersonalDataEnvelope,
} from './crypto/personal-data-envelope';
export { EXIT as AUDIT_CLI_EXIT_CODES, type ExitCode as AuditCliExitCode } from './cli/exit-codes';
export { AuditHealthIndicator } from './health/audit-health.indicator';
export type { AuditEventSink } from './forwarding/audit-event-sink';
export { NdjsonSink, type NdjsonSinkOptions } from './forwarding/ndjson.sink';
export { WebhookSink, type WebhookSinkOptions } from './forwarding/webhook.sink';
export { ForwardCursors } from './forwarding/forward-cursors.service';
export { AuditMetrics } from './metrics/audit-metrics.service';
export { AuditError } from './errors/audit.error';
export { AuditArchivedError } from './errors/audit-archived.error';
export { AuditChainTamperedError } from './errors/audit-chain-tampered.error';
export { AuditRevertRefusedError } from './errors/audit-revert-refused.error';
export { InvalidHashError } from './errors/invalid-hash.error';
export { InvalidNoteError } from './errors/invalid-note.error';
export { AuditableMisconfiguredError } from './errors/auditable-misconfigured.error';
export { AuditWriteFailedError } from './errors/audit-write-failed.error';
export { InvalidAuditOptionsError } from './errors/invalid-audit-options.error';
export { InvalidErasureRequestError } from './errors/invalid-erasure-request.error';
export { PersonalDataUnreadableError } from './errors/personal-data-unreadable.error';
export { InvalidCheckpointError } from './errors/invalid-checkpoint.error';
export { InvalidExportRequestError } from './errors/invalid-export-request.error';
export { InvalidRetentionInputError } from './errors/invalid-retention-input.error';
export { InvalidHeadMapProofError } from './errors/invalid-head-map-proof.error';
export { InvalidQueryInputError } from './errors/invalid-query-input.error';
export { AuditInvariantError } from './errors/audit-invariant.error';
export { KeyProviderError } from './errors/key-provider.error';
export { LogIntegrityError } from './errors/log-integrity.error';
export { PoisonEventError } from './errors/poison-event.error';
export { SinkDeliveryFailedError } from './errors/sink-delivery-failed.error';
export { WitnessAheadOfStoreError, type WitnessAheadOfStore } from './errors/witness-ahead-of-store.error';
export { WitnessConflictError } from './errors/witness-conflict.error';
export { WitnessRejectedError } from './errors/witness-rejected.error';
export { WitnessUnavailableError } from './errors/witness-unavailable.error';

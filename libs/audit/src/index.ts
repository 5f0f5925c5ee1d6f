// The public API of the audit library: everything an application may use, and nothing else.
export { AuditModule } from './audit.module';
export { AUDIT_ASYNC_OPTIONS_TYPE, AUDIT_OPTIONS_TYPE } from './audit.module-definition';
export type { AuditModuleOptions, AuditRequest } from './audit-options.interface';
export { DEFAULT_MASKED_FIELD_PATTERN } from './audit-options';
export { AUDIT_QUEUE, AUDIT_SCHEMA, MASKED_VALUE } from './audit.constants';
export { Auditable } from './decorators/auditable.decorator';
export type { AuditableOptions } from './decorators/auditable-options.interface';
export { AuditMasked } from './decorators/audit-masked.decorator';
export { AuditService } from './audit.service';
export { AuditContextService } from './context/audit-context.service';
export type { AuditContextSnapshot } from './context/audit-context';
export type {
  ActorType,
  AuditActor,
  AuditEvent,
  AuditSource,
  FieldChange,
  JsonObject,
  JsonPatchOperation,
  SealedAuditEvent,
} from './events/audit-event';
export type { RecordAuditEventInput } from './events/record-audit-event.input';
export { EventSealer } from './sealing/event-sealer';
export { OutboxRelay } from './sealing/outbox.relay';
export { AUDIT_ENTITIES } from './storage/audit-entities';
export { AUDIT_MIGRATIONS } from './storage/audit-migrations';
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
export { EVENT_HASH_ALG, eventHash, GENESIS_HASH, hashedEventFields } from './crypto/event-hash';
export { appendLeaf, rangeRoot, type CompactRange } from './crypto/compact-range';
export {
  formatVerifierKey,
  noteKeyId,
  noteSignerFromSeed,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  type NoteSigner,
  type NoteVerifier,
} from './crypto/signed-note';
export type { ChainFailure, ChainFailureReason, ChainVerification } from './verification/chain-verification';
export { verifyChain, type ChainHead } from './verification/chain-verifier';
export { AuditError } from './errors/audit.error';
export { AuditChainTamperedError } from './errors/audit-chain-tampered.error';
export { InvalidHashError } from './errors/invalid-hash.error';
export { InvalidNoteError } from './errors/invalid-note.error';
export { AuditableMisconfiguredError } from './errors/auditable-misconfigured.error';
export { AuditWriteFailedError } from './errors/audit-write-failed.error';
export { InvalidAuditOptionsError } from './errors/invalid-audit-options.error';

/** Metadata key under which `@Auditable` stores its options on a method. */
export const AUDITABLE_METADATA = 'audit:auditable';
/** Metadata key under which `@AuditMasked` stores the masked property names of an entity class. */
export const AUDIT_MASKED_METADATA = 'audit:masked';
/** BullMQ queue that carries committed events to the sealing worker. */
export const AUDIT_QUEUE = 'audit-events';
/** PostgreSQL schema that holds every audit table. */
export const AUDIT_SCHEMA = 'audit';
/** What a masked value is replaced with in snapshots, changes and patches. */
export const MASKED_VALUE = '[MASKED]';
/** What a reader gets for a personal value whose subject was erased (its key destroyed). */
export const ERASED_VALUE = '[ERASED]';
/** Injection token of the resolved (validated, defaulted) module options. */
export const AUDIT_OPTIONS = Symbol('audit:options');
/** Metadata key under which `@AuditedEntity` stores its options on an entity class. */
export const AUDITED_ENTITY_METADATA = 'audit:audited-entity';
/** The transaction-local PostgreSQL setting the application's context travels in to the capture trigger. */
export const CAPTURE_CONTEXT_SETTING = 'audit.ctx';

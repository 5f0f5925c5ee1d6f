import { AUDITED_ENTITY_METADATA } from '../audit.constants';

/** Options of `@AuditedEntity`: what every event of the entity records, whichever call or statement changed it. */
export interface AuditedEntityOptions {
  /** Record only these fields. Default: all. */
  only?: string[];
  /** Never record these fields (masking is `@AuditMasked`, which also keeps values out of the outbox). Default: none. */
  ignore?: string[];
  /**
   * Personal data of the entity, as the module's `personalData` option takes it for one entity type
   * (declare it in one place only): these top-level fields are encrypted under their subject's key
   * before they are sealed, so that erasing the subject makes them unreadable. Default: none.
   */
  personalData?: { fields: string[]; subjectField?: string };
}

/**
 * Declares an entity audited as a whole: every committed change of its table becomes one sealed
 * event, however it was written (docs/capture.md). The database captures the rows: the app's
 * migrations must attach the capture trigger (`auditCaptureSql`), and the app refuses to start
 * while it is missing or out of date. Masking is declared on the properties (`@AuditMasked`),
 * personal data here or in the module's `personalData` option.
 */
export function AuditedEntity(options: AuditedEntityOptions = {}): ClassDecorator {
  return (target) => Reflect.defineMetadata(AUDITED_ENTITY_METADATA, options, target);
}

/** The `@AuditedEntity` options of a class, or undefined when it is not declared audited. */
export function auditedEntityOptions(ctor: unknown): AuditedEntityOptions | undefined {
  if (typeof ctor !== 'function') return undefined;
  return Reflect.getMetadata(AUDITED_ENTITY_METADATA, ctor) as AuditedEntityOptions | undefined;
}

import { AUDIT_MASKED_METADATA } from '../audit.constants';

/**
 * Marks an entity property as sensitive: its value is replaced by `[MASKED]` in every snapshot,
 * change and patch; a change of it is still recorded, never its value.
 */
export function AuditMasked(): PropertyDecorator {
  return (target, propertyKey) => {
    const ctor = target.constructor;
    const own: string[] = Reflect.getOwnMetadata(AUDIT_MASKED_METADATA, ctor) ?? [
      ...maskedPropertiesOf(Object.getPrototypeOf(ctor)),
    ];
    Reflect.defineMetadata(AUDIT_MASKED_METADATA, [...own, String(propertyKey)], ctor);
  };
}

/** Names of the properties marked with `@AuditMasked()` on a class or its ancestors. */
export function maskedPropertiesOf(ctor: unknown): string[] {
  if (typeof ctor !== 'function') return [];
  return (Reflect.getMetadata(AUDIT_MASKED_METADATA, ctor) as string[] | undefined) ?? [];
}

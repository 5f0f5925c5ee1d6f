import { SetMetadata } from '@nestjs/common';
import { AUDITABLE_METADATA } from '../audit.constants';
import { AuditableMisconfiguredError } from '../errors/auditable-misconfigured.error';
import type { AuditableOptions } from './auditable-options.interface';

const ACTION_NAME = /^[A-Z][A-Z0-9_]*$/;

/**
 * Audits every call of the decorated method, on any provider. The method runs in a MikroORM
 * transaction (joining the caller's, as a savepoint); its event is written to the outbox in that
 * transaction and sealed after commit. The decorator only records metadata; `AuditModule` wraps
 * the method at bootstrap.
 */
export function Auditable(options: AuditableOptions): MethodDecorator {
  if (!ACTION_NAME.test(options.action)) {
    throw new AuditableMisconfiguredError(
      `@Auditable action "${options.action}" must be an upper-case name such as UPDATE or ROLE_CHANGE.`,
    );
  }
  if (!options.entity) {
    throw new AuditableMisconfiguredError('@Auditable needs an entity (a MikroORM entity class or name).');
  }
  return SetMetadata(AUDITABLE_METADATA, options);
}

import { OptionalProps } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { AuditedEntity, AuditMasked } from 'audit-ledger';
import { v7 as uuidv7 } from 'uuid';

export const ROLES = ['user', 'admin', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Audited as a whole: the database captures every change of `users` (Migration20261202000200UsersCapture),
 * whichever call or statement made it; `credentialsVersion` included, so the trail shows when a
 * user's tokens were revoked.
 */
@AuditedEntity()
@Entity({ tableName: 'users' })
export class User {
  [OptionalProps]?: 'id' | 'tenantId' | 'active' | 'credentialsVersion' | 'createdAt' | 'updatedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = uuidv7();

  @Property({ type: 'text', unique: true })
  username!: string;

  @Property({ type: 'text' })
  email!: string;

  @Property({ type: 'text' })
  role!: Role;

  // Masked by name already; the decorator states the intent where the field is declared. The
  // capture trigger drops the column (masked: ['password_hash']), so the hash never leaves the table.
  @AuditMasked()
  @Property({ type: 'text', hidden: true })
  passwordHash!: string;

  /** Null for a global principal (not bound to a tenant). */
  @Property({ type: 'text', nullable: true })
  tenantId: string | null = null;

  /** False once deactivated: the account stays (and its history), but it can no longer log in. */
  @Property({ type: 'boolean' })
  active: boolean = true;

  /**
   * The version a bearer token must name to be accepted. The database bumps it whenever `role`,
   * `tenantId`, `passwordHash` or `active` change (Migration20261202000300UsersCredentialsVersion),
   * which revokes every token issued before. NOTE: so the value in memory is stale after such a flush.
   */
  @Property({ type: 'integer' })
  credentialsVersion: number = 0;

  @Property({ type: 'Date', columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();

  @Property({ type: 'Date', columnType: 'timestamptz(3)', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

import { Entity, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { AuditedEntity, AuditMasked } from 'audit-ledger';
import { v7 as uuidv7 } from 'uuid';

export const ROLES = ['user', 'admin', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Audited as a whole: the database captures every change of `users` (Migration20261202000200UsersCapture),
 * whichever call or statement made it.
 */
@AuditedEntity()
@Entity({ tableName: 'users' })
export class User {
  [OptionalProps]?: 'id' | 'tenantId' | 'active' | 'createdAt' | 'updatedAt';

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

  @Property({ type: 'Date', columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();

  @Property({ type: 'Date', columnType: 'timestamptz(3)', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

import {
  Body,
  Controller,
  ForbiddenException,
  Get,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Patch,
  UseFilters,
} from '@nestjs/common';
import {
  AuditChainTamperedError,
  AuditContextService,
  auditReadEvent,
  AuditService,
  type SealedAuditEvent,
} from 'audit-ledger';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/principal';
import { Authenticated } from '../auth/roles.decorator';
import { TamperedTrailFilter } from './tampered-trail.filter';
import { UpdateUserInput } from './dto/user-inputs';
import { UserModel } from './user.model';
import { UsersService } from './users.service';

@Controller('users')
@UseFilters(TamperedTrailFilter)
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly audit: AuditService,
    private readonly auditContext: AuditContextService,
  ) {}

  /** Body fields other than username, email and role are rejected with 400 (global ValidationPipe). */
  @Patch(':id')
  @Authenticated()
  async update(
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: UpdateUserInput,
    @CurrentPrincipal() principal: Principal,
  ): Promise<UserModel> {
    return UserModel.from(await this.users.update(id, body, principal));
  }

  /**
   * The user's full history, chronological (chain order), for a principal with the audit read
   * permission (the library's rule: `admin` and `auditor`). Recorded as AUDIT_QUERY, or
   * PERMISSION_DENIED with the reason. A reader bound to a tenant sees its tenant's users only
   * (the current row's tenant, or for a deleted user every event's): another tenant's user answers
   * exactly as a user that never existed (404), its trail's state (tampered or not) included.
   */
  @Get(':id/audit')
  @Authenticated()
  async history(@Param('id', ParseUUIDPipe) id: string): Promise<SealedAuditEvent[]> {
    const asked = { query: 'userHistory', arguments: { id } };
    const access = this.auditContext.readAccess(asked.query);
    if (access.denied) {
      await this.audit.record(auditReadEvent(access, asked));
      throw new ForbiddenException(access.denied);
    }
    const notFound = new NotFoundException(`No audit history for user ${id}`);
    // Tenancy first: only a reader the user belongs to may learn its trail's state (tampering included).
    const tenantId = access.tenantId;
    if (tenantId === null || (await this.users.existsInTenant(id, tenantId))) {
      await this.audit.record(auditReadEvent(access, asked));
      const trail = await this.audit.trail('User', id);
      if (trail.length === 0) throw notFound;
      return trail;
    }
    // No such user in the reader's tenant now; a deleted one's row is gone, so its events' tenant decides.
    const trail = await this.audit.trail('User', id).catch((error: unknown) => {
      if (error instanceof AuditChainTamperedError) return [];
      throw error;
    });
    if (trail.length === 0 || trail.some((e) => e.tenantId !== tenantId)) {
      const denied = `No user ${id} in tenant ${tenantId}.`;
      await this.audit.record(auditReadEvent({ ...access, denied }, asked));
      throw notFound;
    }
    await this.audit.record(auditReadEvent(access, asked));
    return trail;
  }
}

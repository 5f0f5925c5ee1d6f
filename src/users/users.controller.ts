import {
  Body,
  Controller,
  ForbiddenException,
  Get,
  InternalServerErrorException,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Patch,
} from '@nestjs/common';
import { AuditChainTamperedError, AuditService, type SealedAuditEvent } from 'audit-ledger';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/principal';
import { Authenticated } from '../auth/roles.decorator';
import { UpdateUserInput } from './dto/user-inputs';
import { UserModel } from './user.model';
import { UsersService } from './users.service';

@Controller('users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly audit: AuditService,
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

  /** The user's full history, chronological (chain order). */
  @Get(':id/audit')
  @Authenticated('admin', 'auditor')
  async history(
    @Param('id', ParseUUIDPipe) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<SealedAuditEvent[]> {
    const trail = await this.audit.trail('User', id).catch((error: unknown) => {
      // Tampering is reported, never hidden: the failed verification is the answer.
      if (error instanceof AuditChainTamperedError) {
        const { code, message, chainSeq, reason } = error;
        throw new InternalServerErrorException({ statusCode: 500, code, message, chainSeq, reason });
      }
      throw error;
    });
    if (trail.length === 0) throw new NotFoundException(`No audit history for user ${id}`);
    if (principal.tenantId !== null && trail.some((e) => e.tenantId !== principal.tenantId)) {
      throw new ForbiddenException(`User ${id} belongs to another tenant`);
    }
    return trail;
  }
}

import { SetMetadata } from '@nestjs/common';
import type { Role } from '../users/user.entity';

export const ROLES_METADATA = 'example:roles';

/** Requires an authenticated principal holding one of these roles (any role when empty). */
export const Authenticated = (...roles: Role[]) => SetMetadata(ROLES_METADATA, roles);

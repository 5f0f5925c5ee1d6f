import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Principal } from '../auth/principal';
import { appConfig } from '../config/app-config.provider';
import type { Role } from '../users/user.entity';
import { UsersService } from '../users/users.service';

/** Demo accounts in two tenants (plus a global auditor), created on first start with DEMO_PASSWORD. */
export const DEMO_USERS: { username: string; role: Role; tenantId: string | null }[] = [
  { username: 'alice', role: 'admin', tenantId: 'acme' },
  { username: 'bob', role: 'user', tenantId: 'acme' },
  { username: 'carol', role: 'auditor', tenantId: 'acme' },
  { username: 'dave', role: 'admin', tenantId: 'globex' },
  { username: 'erin', role: 'user', tenantId: 'globex' },
  { username: 'grace', role: 'auditor', tenantId: null },
];

const SEEDER: Principal = { sub: 'seed', username: 'seed', role: 'admin', tenantId: null };

@Injectable()
export class DemoSeedService implements OnApplicationBootstrap {
  private readonly logger = new Logger(DemoSeedService.name);

  constructor(
    private readonly users: UsersService,
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
  ) {}

  /** Seeding goes through the audited service, so the trail starts with SYSTEM-actor CREATE events. */
  async onApplicationBootstrap(): Promise<void> {
    if ((await this.users.count()) > 0) return;
    for (const { username, role, tenantId } of DEMO_USERS) {
      await this.users.create(
        {
          username,
          role,
          tenantId: tenantId as string,
          email: `${username}@example.test`,
          password: this.config.demoPassword,
        },
        SEEDER,
      );
    }
    this.logger.log(`Seeded ${DEMO_USERS.length} demo users (password from DEMO_PASSWORD)`);
  }
}

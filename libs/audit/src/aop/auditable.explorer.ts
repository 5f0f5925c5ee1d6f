import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { AUDITABLE_METADATA } from '../audit.constants';
import type { AuditableOptions } from '../decorators/auditable-options.interface';
import { AuditedCallRunner } from './audited-call.runner';
import { wrapAuditableMethod } from './auditable-method.wrapper';

/** Finds `@Auditable` methods on every provider and controller and wraps them. */
@Injectable()
export class AuditableExplorer implements OnModuleInit {
  private explored = false;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly runner: AuditedCallRunner,
  ) {}

  /** Fallback for application contexts (workers, CLI), where no middleware phase runs. */
  onModuleInit(): void {
    this.explore();
  }

  /** Idempotent; called as early as possible (see AuditModule.configure). */
  explore(): void {
    if (this.explored) return;
    this.explored = true;
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const proto = Object.getPrototypeOf(instance) as Record<string, unknown>;
      for (const name of this.scanner.getAllMethodNames(proto)) {
        const method = proto[name];
        if (typeof method !== 'function') continue;
        const options = this.reflector.get<AuditableOptions | undefined>(AUDITABLE_METADATA, method);
        if (!options) continue;
        this.runner.entityMetadata(options, `${instance.constructor.name}.${name}`);
        wrapAuditableMethod(instance, name, options, this.runner);
      }
    }
  }
}

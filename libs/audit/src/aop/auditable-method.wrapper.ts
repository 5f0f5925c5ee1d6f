import type { AuditableOptions } from '../decorators/auditable-options.interface';
import { AuditableMisconfiguredError } from '../errors/auditable-misconfigured.error';
import type { AuditedCallRunner } from './audited-call.runner';

type Method = (...args: unknown[]) => unknown;

const WRAPPED = Symbol('audit:wrapped');

// Which application's runner serves a call: per instance (exact), else per class (instances made
// after bootstrap, e.g. request-scoped providers). Several apps may share classes in one process.
const instanceRunners = new WeakMap<object, AuditedCallRunner>();
const classRunners = new WeakMap<object, AuditedCallRunner>();

/**
 * Replaces `proto[name]` with an audited wrapper, once per class. The prototype is patched (not the
 * instance) because Nest binds route handlers and GraphQL resolvers to the prototype's method.
 * Every metadata key of the original is copied, so guards, pipes and route decorators still apply.
 */
export function wrapAuditableMethod(
  instance: object,
  name: string,
  options: AuditableOptions,
  runner: AuditedCallRunner,
): void {
  const proto = Object.getPrototypeOf(instance) as Record<string, Method & { [WRAPPED]?: true }>;
  instanceRunners.set(instance, runner);
  classRunners.set(proto, runner);
  const original = proto[name];
  if (original[WRAPPED]) return;

  const wrapper = function (this: object, ...args: unknown[]): Promise<unknown> {
    const current = instanceRunners.get(this) ?? classRunners.get(Object.getPrototypeOf(this) as object);
    if (!current) {
      return Promise.reject(
        new AuditableMisconfiguredError(
          `${name}() is @Auditable but no AuditModule is running for it; import AuditModule in the app.`,
        ),
      );
    }
    return current.run(options, this, original, args);
  };
  for (const key of Reflect.getMetadataKeys(original)) {
    Reflect.defineMetadata(key, Reflect.getMetadata(key, original), wrapper);
  }
  Object.defineProperty(wrapper, 'name', { value: original.name });
  Object.defineProperty(wrapper, WRAPPED, { value: true });
  proto[name] = wrapper;
}

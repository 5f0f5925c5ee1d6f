import { AUDITABLE_METADATA } from '../audit.constants';
import { AuditableMisconfiguredError } from '../errors/auditable-misconfigured.error';
import { Auditable } from './auditable.decorator';

describe('@Auditable', () => {
  it('only records its options as metadata on the method', () => {
    class Service {
      @Auditable({ entity: 'User', action: 'ROLE_CHANGE', module: 'identity' })
      change(): void {}
    }
    expect(Reflect.getMetadata(AUDITABLE_METADATA, Service.prototype.change)).toEqual({
      entity: 'User',
      action: 'ROLE_CHANGE',
      module: 'identity',
    });
  });

  it('rejects an action that is not an upper-case name, when the class is defined', () => {
    for (const action of ['update', 'Update', '1ST', 'UP DATE', '']) {
      expect(() => Auditable({ entity: 'User', action })).toThrow(AuditableMisconfiguredError);
    }
  });
});

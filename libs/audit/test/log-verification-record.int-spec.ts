import { AuditContextService, LOG_VERIFICATION_ENTITY, LogVerifier } from '../src';
import { waitFor } from '../../../test/support/wait-for';
import { startFixtureApp, type FixtureApp } from './fixtures/fixture-app';
import { sealedChain } from './fixtures/tamper';

interface RecordedRun {
  action: string;
  actor_id: string;
  metadata: Record<string, any>;
}

/**
 * Every log verification run is sealed as an `audit.log_verification` event with its result: the
 * ledger answers when it was last verified, by whom, and what was found (the viewer's Integrity
 * page reads it). A failed run is recorded too, and recording never changes the verdict.
 */
describe('log verification runs are recorded in the ledger', () => {
  let f: FixtureApp;
  const runs = () =>
    f.db.query<RecordedRun>(
      'select action, actor_id, metadata from audit.events where entity_type = $1 order by global_seq',
      [LOG_VERIFICATION_ENTITY],
    );
  const asOperator = <T>(fn: () => Promise<T>) =>
    f.app.get(AuditContextService).run(
      {
        actor: { type: 'USER', id: 'u-operator', display: 'operator' },
        tenantId: null,
        source: { ip: null, userAgent: null, requestId: 'req-verify', sessionId: null },
      },
      fn,
    );

  beforeAll(async () => (f = await startFixtureApp()));
  afterAll(async () => f.close());

  it('seals a valid run as LOG_VERIFIED and a failed one as LOG_VERIFICATION_FAILED, with the result', async () => {
    const id = await sealedChain(f, 2);
    const valid = await asOperator(() => f.app.get(LogVerifier).verify('FULL'));
    expect(valid.valid).toBe(true);
    await waitFor(async () => (await runs()).length === 1, 'the valid run sealed');
    const [first] = await runs();
    expect(first).toMatchObject({
      action: 'LOG_VERIFIED',
      actor_id: 'u-operator',
      metadata: {
        valid: true,
        mode: 'FULL',
        treeSize: valid.treeSize,
        checkedEvents: valid.checkedEvents,
        failureCount: 0,
        failures: [],
      },
    });

    await f.db.tamper(`update audit.events set actor_id = 'forged' where entity_id = $1 and chain_seq = 2`, [
      id,
    ]);
    const failed = await asOperator(() => f.app.get(LogVerifier).verify('FULL'));
    expect(failed.valid).toBe(false);
    await waitFor(async () => (await runs()).length === 2, 'the failed run sealed');
    const second = (await runs())[1];
    expect(second.action).toBe('LOG_VERIFICATION_FAILED');
    expect(second.metadata).toMatchObject({ valid: false, failureCount: failed.failures.length });
    expect(second.metadata.failures[0]).toEqual({
      reason: failed.failures[0].reason,
      globalSeq: failed.failures[0].globalSeq,
      detail: failed.failures[0].detail,
    });
  });
});

import { DATABASE_EVENT, V1_1_EVENT, V1_EVENT } from '../export/testdata/sealed-events';
import { toEventModel } from './audit-event.mapper';

describe('toEventModel', () => {
  it('shows the operation, the origin and the database facts of an audit/v1.1 event', () => {
    expect(toEventModel({ ...V1_1_EVENT, drift: null })).toMatchObject({
      operationId: '01936b2e-0000-7000-8000-0000000000aa',
      origin: 'APP',
      database: { transactionId: '8812', role: 'app', time: new Date('2026-11-22T10:00:00.004Z') },
    });
    expect(toEventModel({ ...DATABASE_EVENT, drift: null })).toMatchObject({
      actor: { type: 'DATABASE', id: 'postgres' },
      operationId: null,
      origin: 'DATABASE',
    });
  });

  it('shows them null on an audit/v1 event', () => {
    expect(toEventModel({ ...V1_EVENT, drift: null })).toMatchObject({
      operationId: null,
      origin: null,
      database: null,
    });
  });
});

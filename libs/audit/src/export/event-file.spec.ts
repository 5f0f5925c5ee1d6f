import { Readable } from 'node:stream';
import type { SealedAuditEvent } from '../events/audit-event';
import type { EventFileFormat } from './bundle-manifest';
import { fromEcsDocument, toEcsDocument, type EcsDocument } from './ecs-document';
import { decodeEvents, encodeEvents, EventLineError } from './event-file';
import { LineTooLongError } from './text-lines';
import { DATABASE_EVENT, V1_1_EVENT, V1_EVENT } from './testdata/sealed-events';

async function encode(events: SealedAuditEvent[], format: EventFileFormat): Promise<string> {
  let text = '';
  for await (const chunk of encodeEvents(
    (async function* () {
      yield* events.map(toEcsDocument);
    })(),
    format,
  ))
    text += chunk;
  return text;
}

async function decode(text: string, format: EventFileFormat, maxLineBytes?: number): Promise<EcsDocument[]> {
  const docs: EcsDocument[] = [];
  for await (const { doc } of decodeEvents(Readable.from([Buffer.from(text)]), format, maxLineBytes))
    docs.push(doc);
  return docs;
}

const EVENTS = [V1_EVENT, V1_1_EVENT, DATABASE_EVENT];

describe('event files', () => {
  it.each<EventFileFormat>(['ndjson', 'csv'])(
    'give back the exact documents and events, audit/v1 and audit/v1.1 (%s)',
    async (format) => {
      const docs = await decode(await encode(EVENTS, format), format);
      expect(docs).toEqual(EVENTS.map(toEcsDocument));
      expect(docs.map(fromEcsDocument)).toEqual(EVENTS);
    },
  );

  it('write the audit/v1.1 members as dotted CSV columns after the older ones', async () => {
    const [header, v1, v11] = (await encode([V1_EVENT, V1_1_EVENT], 'csv')).split('\n');
    expect(header).toMatch(
      /,audit_ledger\.key_set_id,audit_ledger\.operation_id,audit_ledger\.origin,audit_ledger\.database\.transaction_id,audit_ledger\.database\.role,audit_ledger\.database\.time$/,
    );
    expect(v1).toMatch(/,,,,,$/);
    expect(v11).toMatch(/,01936b2e-0000-7000-8000-0000000000aa,APP,8812,app,2026-11-22T10:00:00.004Z$/);
  });

  it('keep empty strings apart from nulls in CSV', async () => {
    const database = { transactionId: '', role: '', time: '' };
    const event: SealedAuditEvent = { ...DATABASE_EVENT, module: '', database };
    expect(await decode(await encode([event], 'csv'), 'csv')).toEqual([toEcsDocument(event)]);
  });

  it('read a CSV exported before audit/v1.1 (without its columns) as events with null members', async () => {
    const lines = (await encode([V1_EVENT], 'csv')).split('\n');
    const v11Columns =
      ',audit_ledger.operation_id,audit_ledger.origin,audit_ledger.database.transaction_id,audit_ledger.database.role,audit_ledger.database.time';
    expect(lines[0].endsWith(v11Columns) && lines[1].endsWith(',,,,,')).toBe(true);
    const old = [lines[0].slice(0, -v11Columns.length), lines[1].slice(0, -5), ...lines.slice(2)].join('\n');
    expect((await decode(old, 'csv')).map(fromEcsDocument)).toEqual([V1_EVENT]);
  });

  it('still refuse a CSV that lacks an older column', async () => {
    const text = (await encode([V1_EVENT], 'csv')).replace('audit_ledger.key_set_id', 'key_set');
    await expect(decode(text, 'csv')).rejects.toThrow('column "audit_ledger.key_set_id" is missing');
  });

  it.each([
    ['a blank line', '{}\n\n{}\n', new EventLineError(2, 'a blank line')],
    ['a line that is not JSON, without quoting it', 'root:x:0:0:root\n', new EventLineError(1, 'not JSON')],
    ['a JSON value that is not an object', 'null\n', new EventLineError(1, 'not a JSON object')],
  ])('refuse NDJSON with %s', async (_what, text, error) => {
    await expect(decode(text, 'ndjson')).rejects.toEqual(error);
  });

  it('refuse a record longer than the limit, CSV or NDJSON, by its line', async () => {
    const csv = await encode([V1_EVENT], 'csv');
    await expect(decode(csv, 'csv', 100)).rejects.toBeInstanceOf(LineTooLongError);
    await expect(decode(await encode([V1_EVENT], 'ndjson'), 'ndjson', 100)).rejects.toEqual(
      new LineTooLongError(1, 100),
    );
    expect(await decode(csv, 'csv', 1 << 20)).toEqual([toEcsDocument(V1_EVENT)]);
  });

  it('refuse a CSV that does not parse by its error code, never the text it quotes', async () => {
    const text = (await encode([V1_EVENT], 'csv')).replace('alice', 'al"ice');
    const error = await decode(text, 'csv').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventLineError);
    expect((error as Error).message).toMatch(/^not CSV \([A-Z_]+\)$/);
  });
});

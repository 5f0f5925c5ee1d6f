import { CsvError, parse } from 'csv-parse';
import { stringify } from 'csv-stringify';
import type { Readable } from 'node:stream';
import type { EcsDocument } from './ecs-document';
import type { EventFileFormat } from './bundle-manifest';
import { LineTooLongError, textLines } from './text-lines';
import { AuditError } from '../errors/audit.error';

/**
 * CSV columns: the ECS document's dotted field names. Members holding objects or arrays are
 * written as JSON text; a null is an empty cell and an empty string a quoted empty cell, so the
 * file parses back to the exact document (and verifies offline) — as NDJSON does.
 */
const COLUMNS: { name: string; kind: 'string' | 'number' | 'json'; since: 'v1' | 'v1.1' }[] = [
  ['@timestamp', 'string'],
  ['message', 'string'],
  ['ecs.version', 'string'],
  ['event.id', 'string'],
  ['event.kind', 'string'],
  ['event.action', 'string'],
  ['event.category', 'json'],
  ['event.type', 'json'],
  ['event.outcome', 'string'],
  ['event.created', 'string'],
  ['event.dataset', 'string'],
  ['event.module', 'string'],
  ['event.sequence', 'number'],
  ['event.hash', 'string'],
  ['user.id', 'string'],
  ['user.name', 'string'],
  ['source.ip', 'string'],
  ['user_agent.original', 'string'],
  ['http.request.id', 'string'],
  ['organization.id', 'string'],
  ['audit_ledger.actor_type', 'string'],
  ['audit_ledger.entity.type', 'string'],
  ['audit_ledger.entity.id', 'string'],
  ['audit_ledger.module', 'string'],
  ['audit_ledger.transaction_code', 'string'],
  ['audit_ledger.session_id', 'string'],
  ['audit_ledger.before', 'json'],
  ['audit_ledger.after', 'json'],
  ['audit_ledger.changes', 'json'],
  ['audit_ledger.patch', 'json'],
  ['audit_ledger.metadata', 'json'],
  ['audit_ledger.chain_seq', 'number'],
  ['audit_ledger.prev_hash', 'string'],
  ['audit_ledger.hash_alg', 'string'],
  ['audit_ledger.batch_tree_size', 'number'],
  ['audit_ledger.key_id', 'string'],
  ['audit_ledger.key_set_id', 'string'],
  // NOTE: the `audit/v1.1` members come last, so the columns of older files keep their positions;
  // a file exported before them lacks these columns, and its events hold null there.
  ['audit_ledger.operation_id', 'string', 'v1.1'],
  ['audit_ledger.origin', 'string', 'v1.1'],
  ['audit_ledger.database.transaction_id', 'string', 'v1.1'],
  ['audit_ledger.database.role', 'string', 'v1.1'],
  ['audit_ledger.database.time', 'string', 'v1.1'],
].map(([name, kind, since]) => ({
  name,
  kind: kind as 'string' | 'number' | 'json',
  since: since === 'v1.1' ? 'v1.1' : 'v1',
}));

/**
 * Objects that may be null, written as one column per member: a null object is all empty cells,
 * which no object makes (its members are never null).
 */
const NULLABLE_OBJECTS = ['audit_ledger.database'];

type Tree = { [key: string]: unknown };

function get(doc: Tree, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Tree | undefined)?.[key], doc);
}

function set(doc: Tree, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = doc;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Tree;
  node[keys[keys.length - 1]] = value;
}

/** Encodes ECS documents as the lines of an event file (a header first for CSV). */
export async function* encodeEvents(
  documents: AsyncIterable<EcsDocument>,
  format: EventFileFormat,
): AsyncIterable<string> {
  if (format === 'ndjson') {
    for await (const doc of documents) yield `${JSON.stringify(doc)}\n`;
    return;
  }
  const csv = stringify({
    header: true,
    columns: COLUMNS.map((c) => c.name),
    // NOTE: `quoted_empty`, not `quoted`: csv-stringify ignores `quoted` on an empty string.
    cast: { string: (value) => (value === '' ? { value: '', quoted_empty: true } : value) },
  });
  const rows = (async () => {
    for await (const doc of documents) {
      const row = COLUMNS.map(({ name, kind }) => {
        const value = get(doc as unknown as Tree, name);
        if (value === null || value === undefined) return null;
        // Numbers and JSON members as JSON text (a number's JSON is its plain decimal form).
        return kind === 'string' ? value : JSON.stringify(value);
      });
      if (!csv.write(row)) await new Promise((r) => csv.once('drain', r));
    }
    csv.end();
  })();
  for await (const chunk of csv) yield String(chunk);
  await rows;
}

/** A parse failure inside an event file: the line (1-based, header included) and why. */
export class EventLineError extends AuditError {
  readonly code = 'AUDIT_EVENT_LINE_INVALID';
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The ECS documents of an event file's text, in file order, with their line numbers. A blank line,
 * a line that is not a JSON object, or a record longer than `maxLineBytes` (default: no limit)
 * stops the read with an error that names the line, never its contents.
 */
export async function* decodeEvents(
  text: Readable,
  format: EventFileFormat,
  maxLineBytes = Infinity,
): AsyncIterable<{ line: number; doc: EcsDocument }> {
  if (format === 'ndjson') {
    let line = 0;
    for await (const raw of textLines(text, maxLineBytes)) {
      line++;
      // NOTE: an exporter writes no blank line; refusing them bounds a file of newlines by its size.
      if (raw === '') throw new EventLineError(line, 'a blank line');
      let doc: unknown;
      try {
        doc = JSON.parse(raw);
      } catch {
        // NOTE: not the parser's message: V8 quotes the text it could not parse.
        throw new EventLineError(line, 'not JSON');
      }
      if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
        throw new EventLineError(line, 'not a JSON object');
      yield { line, doc: doc as EcsDocument };
    }
    return;
  }
  const parser = text.pipe(
    parse({
      columns: true,
      // NOTE: cast sees whether a cell was quoted: that is how "" and null stay apart.
      cast: (value, context) => (value === '' && !context.quoting ? null : value),
      info: true,
      max_record_size: Number.isFinite(maxLineBytes) ? maxLineBytes : 0,
    }),
  );
  text.once('error', (error) => parser.destroy(error));
  const records = parser as AsyncIterable<{ record: Tree; info: { lines: number } }>;
  const iterator = records[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<{ record: Tree; info: { lines: number } }>;
      try {
        next = await iterator.next();
      } catch (error) {
        throw csvError(error, maxLineBytes);
      }
      if (next.done) return;
      yield toDocument(next.value.record, next.value.info.lines);
    }
  } finally {
    // A reader that stops early closes the file.
    parser.destroy();
    text.destroy();
  }
}

/** One CSV record as the ECS document it was written from. */
function toDocument(record: Tree, line: number): { line: number; doc: EcsDocument } {
  const doc: Tree = {};
  for (const { name, kind, since } of COLUMNS) {
    if (!(name in record)) {
      if (since === 'v1.1') continue;
      throw new EventLineError(line, `column "${name}" is missing`);
    }
    const cell = record[name] as string | null;
    try {
      const value =
        cell === null ? null : kind === 'json' ? JSON.parse(cell) : kind === 'number' ? Number(cell) : cell;
      set(doc, name, value);
    } catch {
      throw new EventLineError(line, `column "${name}" is not JSON`);
    }
  }
  for (const path of NULLABLE_OBJECTS) {
    const members = get(doc, path) as Tree | undefined;
    if (members && Object.values(members).every((v) => v === null)) set(doc, path, null);
  }
  return { line, doc: doc as unknown as EcsDocument };
}

/** A csv-parse failure as the error the reader reports: its code and line, never the text it quotes. */
function csvError(error: unknown, maxLineBytes: number): unknown {
  if (!(error instanceof CsvError)) return error;
  const { lines } = error as CsvError & { lines?: unknown };
  const line = typeof lines === 'number' ? lines : 0;
  if (error.code === 'CSV_MAX_RECORD_SIZE') return new LineTooLongError(line, maxLineBytes);
  return new EventLineError(line, `not CSV (${error.code})`);
}

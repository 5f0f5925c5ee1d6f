import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SinkDeliveryFailedError } from '../errors/sink-delivery-failed.error';
import type { EcsDocument } from '../export/ecs-document';
import { NdjsonSink } from './ndjson.sink';

/** Stand-ins for ECS documents: the sink only serialises them. */
const docs = (from: number, count: number) =>
  Array.from(
    { length: count },
    (_, i) => ({ event: { sequence: from + i }, message: 'x'.repeat(300) }) as unknown as EcsDocument,
  );
const sequencesIn = async (path: string) =>
  (await readFile(path, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as EcsDocument).event.sequence);

describe('NdjsonSink', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ndjson-sink-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('resolves only once every line of the batch is in the file (many write chunks)', async () => {
    const path = join(dir, 'a', 'b', 'audit.ndjson');
    const sink = new NdjsonSink({ name: 'file', dest: path });
    await sink.send(docs(1, 500));
    expect(await sequencesIn(path)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    await sink.send(docs(501, 3));
    expect((await sequencesIn(path)).slice(-3)).toEqual([501, 502, 503]);
    await sink.close();
  });

  it('reopens the file after log rotation moved it away', async () => {
    const path = join(dir, 'audit.ndjson');
    const sink = new NdjsonSink({ name: 'file', dest: path });
    await sink.send(docs(1, 2));
    await rename(path, `${path}.1`);
    sink.reopen();
    await sink.send(docs(3, 2));
    expect(await sequencesIn(`${path}.1`)).toEqual([1, 2]);
    expect(await sequencesIn(path)).toEqual([3, 4]);
    await sink.close();
  });

  it('appends after close, as a restarted worker would', async () => {
    const path = join(dir, 'audit.ndjson');
    const sink = new NdjsonSink({ name: 'file', dest: path });
    await sink.send(docs(1, 1));
    await sink.close();
    await new NdjsonSink({ name: 'file', dest: path }).send(docs(2, 1));
    await sink.send(docs(3, 1));
    await sink.close();
    expect(await sequencesIn(path)).toEqual([1, 2, 3]);
  });

  it('fails a batch it cannot write (retryable), and writes the retry once the path is usable', async () => {
    const blocker = join(dir, 'logs');
    await writeFile(blocker, 'a file where the directory should be');
    const path = join(blocker, 'audit.ndjson');
    const sink = new NdjsonSink({ name: 'file', dest: path });
    await expect(sink.send(docs(1, 1))).rejects.toMatchObject({
      constructor: SinkDeliveryFailedError,
      retryable: true,
    });
    await expect(sink.send(docs(1, 1))).rejects.toThrow(/EEXIST|ENOTDIR/);
    await rm(blocker);
    await sink.send(docs(1, 2));
    expect(await sequencesIn(path)).toEqual([1, 2]);
    await sink.close();
  });
});

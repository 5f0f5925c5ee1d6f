import fc from 'fast-check';
import { Readable } from 'node:stream';
import { inChunksOf, LineTooLongError, textLines, WRITE_CHUNK_CHARS } from './text-lines';

const collect = async (chunks: Buffer[]) => {
  const lines: string[] = [];
  for await (const line of textLines(Readable.from(chunks))) lines.push(line);
  return lines;
};

describe('textLines', () => {
  it('splits across chunk boundaries, inside a multi-byte character too, with \\n or \\r\\n', async () => {
    const bytes = Buffer.from('première\r\nligne ünï\n\nlast without newline');
    // Every possible split point of the text into two chunks gives the same lines.
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(await collect([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual([
        'première',
        'ligne ünï',
        '',
        'last without newline',
      ]);
    }
  });

  it('reads only as the consumer asks (no read-ahead of the whole stream)', async () => {
    let produced = 0;
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < 1000; i++) {
          produced++;
          yield Buffer.from(`line ${i}\n`);
        }
      })(),
      { highWaterMark: 1 },
    );
    const lines = textLines(source);
    await lines.next();
    expect(produced).toBeLessThan(10);
    await lines.return(undefined);
  });

  it('stops at a line longer than the limit, counted across chunks, before holding it whole', async () => {
    const chunks = [Buffer.from('short\n'), Buffer.alloc(6, 'x'), Buffer.alloc(6, 'x'), Buffer.from('\n')];
    const read = textLines(Readable.from(chunks), 10);
    expect(await read.next()).toEqual({ done: false, value: 'short' });
    await expect(read.next()).rejects.toEqual(new LineTooLongError(2, 10));
    expect(await collect([Buffer.from('0123456789\n')])).toEqual(['0123456789']);
  });

  it('splits a long line in time linear in its length', async () => {
    // 64 MiB in 64 KiB chunks: joining strings per chunk was quadratic (a 50 MB line took 146 s in
    // `verify --bundle`); joining the bytes once is linear.
    const chunk = Buffer.alloc(64 << 10, 'a');
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < 1024; i++) yield chunk;
      })(),
    );
    const lines: string[] = [];
    for await (const line of textLines(source)) lines.push(line);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toHaveLength(64 << 20);
  }, 20_000);
});

describe('inChunksOf', () => {
  const chunksOf = async (pieces: string[], chars: number) => {
    const out: string[] = [];
    for await (const chunk of inChunksOf(pieces, chars)) out.push(chunk);
    return out;
  };

  it('hands on the same text, in chunks of at least the size but the last, none longer than the size plus one piece (fast-check, 300 runs, seed 1209)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ unit: 'binary', maxLength: 40 }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 100 }),
        async (pieces, chars) => {
          const chunks = await chunksOf(pieces, chars);
          expect(chunks.join('')).toBe(pieces.join(''));
          const longest = Math.max(0, ...pieces.map((p) => p.length));
          chunks.forEach((chunk, i) => {
            expect(chunk.length).toBeGreaterThan(0);
            if (i < chunks.length - 1) expect(chunk.length).toBeGreaterThanOrEqual(chars);
            expect(chunk.length).toBeLessThan(chars + longest);
          });
        },
      ),
      { numRuns: 300, seed: 1209 },
    );
  });

  it('joins 10,000 event lines of 100 characters into one chunk per 64 KiB by default', async () => {
    const line = `${'x'.repeat(99)}\n`;
    const chunks: string[] = [];
    for await (const chunk of inChunksOf(Array.from({ length: 10_000 }, () => line))) chunks.push(chunk);
    expect(chunks.length).toBe(Math.ceil((10_000 * 100) / WRITE_CHUNK_CHARS));
  });
});

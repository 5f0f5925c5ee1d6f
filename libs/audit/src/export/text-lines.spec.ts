import { Readable } from 'node:stream';
import { textLines } from './text-lines';

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
});

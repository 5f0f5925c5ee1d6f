import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';

/**
 * The lines of a text stream, pulled one chunk at a time. Written by hand because readline's
 * async iterator keeps reading ahead and queues every line it emits while the consumer is busy:
 * the bundle verifier reads three files in lockstep, and readline held the lagging ones in memory
 * (+50 % peak memory for 5x the events). Iterating the stream itself reads only on demand.
 * Accepts `\n` and `\r\n` endings; the last line may lack one.
 */
export async function* textLines(stream: Readable): AsyncGenerator<string> {
  // A chunk may end inside a multi-byte character: the decoder keeps its first bytes for the next.
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of stream) {
    const text = rest + (typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer));
    const lines = text.split('\n');
    rest = lines.pop()!;
    for (const line of lines) yield line.endsWith('\r') ? line.slice(0, -1) : line;
  }
  rest += decoder.end();
  if (rest !== '') yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}

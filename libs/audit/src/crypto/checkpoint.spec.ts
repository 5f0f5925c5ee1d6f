import { InvalidCheckpointError } from '../errors/invalid-checkpoint.error';
import { InvalidNoteError } from '../errors/invalid-note.error';
import {
  formatCheckpoint,
  openCheckpoint,
  parseCheckpoint,
  signCheckpoint,
  statedCheckpoint,
  type Checkpoint,
} from './checkpoint';
import { noteSignerFromSeed, signNote } from './signed-note';

const ROOT = Buffer.alloc(32, 0xab);
const ROOT_B64 = ROOT.toString('base64');
const CHECKPOINT: Checkpoint = {
  origin: 'audit.example.com/log',
  size: 1234,
  root: ROOT,
  time: new Date('2026-11-22T17:00:00.000Z'),
  extensions: ['entity abc', 'range x'],
};
const TEXT = `audit.example.com/log\n1234\n${ROOT_B64}\ntime 2026-11-22T17:00:00.000Z\nentity abc\nrange x\n`;

describe('C2SP tlog checkpoints', () => {
  it('writes the documented text and parses it back', () => {
    expect(formatCheckpoint(CHECKPOINT)).toBe(TEXT);
    expect(parseCheckpoint(TEXT)).toEqual(CHECKPOINT);
    const bare = { ...CHECKPOINT, size: 0, extensions: [] };
    expect(parseCheckpoint(formatCheckpoint(bare))).toEqual(bare);
  });

  it.each([
    ['no final newline', TEXT.slice(0, -1)],
    ['no time line', `o\n1\n${ROOT_B64}\n`],
    ['an empty origin', TEXT.replace('audit.example.com/log', '')],
    ['a whitespace-only origin', TEXT.replace('audit.example.com/log', '  ')],
    ['an origin with outer spaces', TEXT.replace('audit.example.com/log', ' o')],
    ['an origin with a carriage return', TEXT.replace('audit.example.com/log', 'o\r')],
    ['a leading zero in the size', TEXT.replace('\n1234\n', '\n01234\n')],
    ['a signed size', TEXT.replace('\n1234\n', '\n+1234\n')],
    ['a non-decimal size', TEXT.replace('\n1234\n', '\n0x10\n')],
    ['an empty size', TEXT.replace('\n1234\n', '\n\n')],
    ['a size beyond 2^53', TEXT.replace('\n1234\n', '\n9007199254740993\n')],
    ['a 31-byte root', TEXT.replace(ROOT_B64, Buffer.alloc(31).toString('base64'))],
    ['a 33-byte root', TEXT.replace(ROOT_B64, Buffer.alloc(33).toString('base64'))],
    ['an unpadded root', TEXT.replace(ROOT_B64, ROOT_B64.slice(0, -1))],
    ['a URL-safe root', TEXT.replace(ROOT_B64, '-'.repeat(43) + '=')],
    ['a root with non-zero trailing bits', TEXT.replace(ROOT_B64, ROOT_B64.slice(0, -2) + 't=')],
    ['a missing time line', TEXT.replace('time 2026-11-22T17:00:00.000Z\n', '')],
    ['a time without milliseconds', TEXT.replace('17:00:00.000Z', '17:00:00Z')],
    ['a time with an offset', TEXT.replace('17:00:00.000Z', '17:00:00.000+00:00')],
    ['an impossible date', TEXT.replace('2026-11-22', '2026-02-30')],
    ['an impossible hour', TEXT.replace('T17:', 'T24:')],
    ['a time line with another keyword', TEXT.replace('time ', 'Time ')],
    ['an empty extension line', TEXT.replace('entity abc\n', '\n')],
  ])('rejects %s', (_, text) => {
    expect(() => parseCheckpoint(text)).toThrow(InvalidCheckpointError);
  });

  it('refuses to write what it would not parse', () => {
    const bad: Partial<Checkpoint>[] = [
      { origin: 'a\nb' },
      { size: -1 },
      { size: 1.5 },
      { size: 2 ** 53 },
      { root: Buffer.alloc(31) },
      { time: new Date(NaN) },
      { time: new Date('+010000-01-01T00:00:00.000Z') },
      { extensions: [''] },
      { extensions: ['a\nb'] },
    ];
    for (const change of bad) {
      expect(() => formatCheckpoint({ ...CHECKPOINT, ...change })).toThrow(InvalidCheckpointError);
    }
  });

  describe('signed', () => {
    const signer = noteSignerFromSeed('audit.example.com/log', Buffer.alloc(32, 1));
    const other = noteSignerFromSeed('audit.example.com/log', Buffer.alloc(32, 2));
    const note = signCheckpoint(CHECKPOINT, signer);

    it('opens with the signing key', () => {
      expect(note.startsWith(`${TEXT}\n\u2014 audit.example.com/log `)).toBe(true);
      expect(openCheckpoint(note, [other, signer])).toEqual({
        checkpoint: CHECKPOINT,
        verifiedBy: ['audit.example.com/log'],
      });
    });

    it('states its checkpoint without a key, for sizes and display (and refuses a non-checkpoint)', () => {
      expect(statedCheckpoint(note)).toEqual(CHECKPOINT);
      expect(() => statedCheckpoint(signNote('not a checkpoint\n', [signer]))).toThrow(
        InvalidCheckpointError,
      );
    });

    it('fails with another key or an altered text', () => {
      expect(() => openCheckpoint(note, [other])).toThrow(InvalidNoteError);
      expect(() => openCheckpoint(note.replace('\n1234\n', '\n1235\n'), [signer])).toThrow(InvalidNoteError);
    });

    it('fails when the signed text is not a checkpoint', () => {
      const signed = signNote(TEXT.replace('\n1234\n', '\n01234\n'), [signer]);
      expect(() => openCheckpoint(signed, [signer])).toThrow(InvalidCheckpointError);
    });
  });
});

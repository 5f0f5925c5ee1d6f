import { manifestProblems } from './bundle-manifest-schema';
import { SHAPED_MANIFEST as MANIFEST } from './testdata/bundle-manifest';

const HASH = MANIFEST.leaves.root;

describe('manifestProblems', () => {
  it('accepts the manifest an exporter writes', () => {
    expect(manifestProblems(MANIFEST)).toEqual([]);
  });

  it.each([
    ['null', null, ['manifest is not an object']],
    ['only `format`', { format: MANIFEST.format }, ['manifest.kind is not one of "export", "archive"']],
    [
      'another format',
      { ...MANIFEST, format: 'v2' },
      ['manifest.format is not one of "audit-ledger-bundle/v1"'],
    ],
    [
      'a path as a file',
      { ...MANIFEST, leaves: { ...MANIFEST.leaves, file: '../etc/passwd' } },
      ['manifest.leaves.file is not a file name inside the bundle'],
    ],
    [
      'a data file not in files',
      { ...MANIFEST, proofs: { file: 'other.ndjson', count: 1 } },
      ['manifest.proofs.file is not one of manifest.files'],
    ],
    [
      'the manifest in files',
      { ...MANIFEST, files: { ...MANIFEST.files, 'manifest.json': { sha256: HASH, bytes: 1 } } },
      ['manifest.files names a file outside the bundle or the manifest itself'],
    ],
    [
      'a negative size',
      { ...MANIFEST, files: { ...MANIFEST.files, 'keys.json': { sha256: HASH, bytes: -1 } } },
      ['manifest.files.keys.json.bytes is not a non-negative integer'],
    ],
    [
      'leaves backwards',
      { ...MANIFEST, leaves: { ...MANIFEST.leaves, from: 3 } },
      ['manifest.leaves.from is after leaves.to'],
    ],
    [
      'a range too long',
      { ...MANIFEST, anchor: { size: 1, range: Array(65).fill(HASH), note: 'n' } },
      ['manifest.anchor.range is not a list of at most 64 hashes'],
    ],
  ])('names what is wrong with %s, never the values', (_what, manifest, expected) => {
    const problems = manifestProblems(manifest);
    expect(problems).toEqual(expect.arrayContaining(expected));
    expect(problems.join()).not.toContain('passwd');
  });
});

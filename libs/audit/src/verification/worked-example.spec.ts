import { hash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { appendLeaf, rangeRoot } from '../crypto/compact-range';
import { EVENT_HASH_ALG } from '../crypto/event-hash';
import { merkleRoot } from '../crypto/merkle';
import { formatPublishedKeys, parsePublishedKeys } from '../keys/published-keys';
import { verifyBundle } from './bundle-verifier';
import { computeExample } from './testdata/worked-example-bundle';

const sha256 = (data: string | Buffer) => hash('sha256', data, 'buffer');
const hex = (b: Buffer) => b.toString('hex');

const DOC = resolve(__dirname, '..', '..', '..', '..', 'docs', 'integrity.md');

/**
 * The fenced blocks of the doc that follow a `<!-- worked-example: <name> -->` marker, by name:
 * the values a reader recomputes by hand, which this spec recomputes with the library.
 */
async function documentedBlocks(): Promise<Record<string, string>> {
  const text = await readFile(DOC, 'utf8');
  const blocks: Record<string, string> = {};
  for (const match of text.matchAll(/<!-- worked-example: (\S+) -->\s*\n```[a-z]*\n([\s\S]*?)\n```/g))
    blocks[match[1]] = match[2];
  return blocks;
}

describe('the worked example of docs/integrity.md §16', () => {
  let dir: string;
  let example: Awaited<ReturnType<typeof computeExample>>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'audit-worked-example-'));
    example = await computeExample(dir);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('computes each value the way the doc tells a reader to', () => {
    const { canonical, hashes, leaves, root, entity } = example;
    canonical.forEach((text, i) => {
      expect(hashes[i]).toEqual(sha256(`${EVENT_HASH_ALG}\0${text}`));
      expect(leaves[i]).toEqual(sha256(Buffer.concat([Buffer.from([0]), hashes[i]])));
    });
    expect(root).toEqual(sha256(Buffer.concat([Buffer.from([1]), leaves[0], leaves[1]])));
    expect(root).toEqual(merkleRoot(leaves));
    expect(root).toEqual(rangeRoot(appendLeaf(appendLeaf([], 0, leaves[0]), 1, leaves[1])));
    expect(entity).toEqual(sha256('["Invoice","inv-1"]'));
    // NOTE: the size-0 root differs from Go's tlog (32 zero bytes); the doc warns about it.
    expect(hex(rangeRoot([]))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('prints exactly the values the library computes', async () => {
    expect(await documentedBlocks()).toEqual(example.blocks);
  });

  it('is a bundle the offline verifier accepts, with the given keys and with its own', async () => {
    const trustedKeys = parsePublishedKeys(formatPublishedKeys([example.key]));
    const expected = {
      valid: true,
      kind: 'export',
      leavesFrom: 0,
      treeSize: 2,
      checkedEvents: 2,
      checkedProofs: 1,
      failures: [],
    };
    expect(await verifyBundle(example.store, { trustedKeys })).toMatchObject({
      ...expected,
      keysFromBundle: false,
    });
    expect(await verifyBundle(example.store)).toMatchObject({ ...expected, keysFromBundle: true });
  });
});

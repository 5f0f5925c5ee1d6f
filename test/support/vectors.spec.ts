import { existsSync } from 'node:fs';
import { SHARED_VECTORS_DIR, VECTORS_DIR, vectorFiles } from './vectors';

// The published sets as copied (testdata/README.md): a file lost from the copy fails here too.
const EXPECTED_FILES = { jcs: 19, merkle: 97 };

describe('the published vectors kept in the repository (testdata/vectors)', () => {
  it.each(Object.keys(EXPECTED_FILES) as (keyof typeof EXPECTED_FILES)[])(
    '%s: complete, with its upstream LICENSE',
    (set) => {
      const files = vectorFiles(set);
      expect(files).toHaveLength(EXPECTED_FILES[set]);
      expect(files.map(([name]) => name)).toContain('LICENSE');
    },
  );

  // NOTE: CI has the team's shared/ beside the clone, a user's clone does not: the comparison
  // runs where there is something to compare, and says so in its name.
  const shared = existsSync(SHARED_VECTORS_DIR);
  it(`equal the team's shared copy byte for byte (${shared ? 'present' : 'absent: nothing to compare'})`, () => {
    if (!shared) return expect(existsSync(VECTORS_DIR)).toBe(true);
    for (const set of Object.keys(EXPECTED_FILES)) {
      expect(vectorFiles(set)).toEqual(vectorFiles(set, SHARED_VECTORS_DIR));
    }
  });
});

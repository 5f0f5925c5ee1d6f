import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The published vectors kept in the repository (testdata/README.md), or AUDIT_VECTORS_DIR. */
export const VECTORS_DIR =
  process.env.AUDIT_VECTORS_DIR ?? resolve(__dirname, '..', '..', 'testdata', 'vectors');

/** The team's shared copy beside the repository, when there is one (CI puts shared/ there). */
export const SHARED_VECTORS_DIR = resolve(__dirname, '..', '..', '..', 'shared', 'vectors');

/** Every file below `dir/subdir`, as [relative path, contents], in name order; fails loudly when absent. */
export function vectorFiles(subdir: string, dir = VECTORS_DIR): [string, string][] {
  const root = join(dir, subdir);
  if (!existsSync(root)) {
    throw new Error(`Test vectors not found at ${root}: testdata/vectors is part of the repository.`);
  }
  const out: [string, string][] = [];
  const walk = (at: string, rel: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      if (entry.isDirectory()) walk(join(at, entry.name), join(rel, entry.name));
      else out.push([join(rel, entry.name), readFileSync(join(at, entry.name), 'utf8')]);
    }
  };
  walk(root, '');
  return out;
}

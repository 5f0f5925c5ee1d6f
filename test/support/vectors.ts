import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** ../shared/vectors beside the repository (CI puts shared/ there), or AUDIT_VECTORS_DIR. */
export const VECTORS_DIR =
  process.env.AUDIT_VECTORS_DIR ?? resolve(__dirname, '..', '..', '..', 'shared', 'vectors');

/** Every file below a vectors subdirectory, as [relative path, contents]; fails loudly when absent. */
export function vectorFiles(subdir: string): [string, string][] {
  const root = join(VECTORS_DIR, subdir);
  if (!existsSync(root)) {
    throw new Error(
      `Test vectors not found at ${root}: put shared/ beside the repository or set AUDIT_VECTORS_DIR.`,
    );
  }
  const out: [string, string][] = [];
  const walk = (dir: string, rel: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      if (entry.isDirectory()) walk(join(dir, entry.name), join(rel, entry.name));
      else out.push([join(rel, entry.name), readFileSync(join(dir, entry.name), 'utf8')]);
    }
  };
  walk(root, '');
  return out;
}

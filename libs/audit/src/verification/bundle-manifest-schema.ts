import { BUNDLE_FORMAT, MANIFEST_FILE, SEAL_FILE, type BundleManifest } from '../export/bundle-manifest';

/** A hex SHA-256 (lower case), as the manifest records hashes and leaves. */
export const HEX_HASH = /^[0-9a-f]{64}$/;

/** A file name inside the bundle: no path, so a crafted manifest cannot point the verifier elsewhere. */
export const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** A compact range of a tree below 2^64 leaves holds at most 64 hashes. */
const MAX_RANGE = 64;

/** Checks one member; pushes `<path> is not <what>` for each problem, never the value itself. */
type Check = (value: unknown, path: string, problems: string[]) => void;

const is =
  (ok: (value: unknown) => boolean, what: string): Check =>
  (value, path, problems) => {
    if (!ok(value)) problems.push(`${path} is not ${what}`);
  };

const text = is((v) => typeof v === 'string', 'a string');
const count = is((v) => Number.isSafeInteger(v) && (v as number) >= 0, 'a non-negative integer');
const hash = is((v) => typeof v === 'string' && HEX_HASH.test(v), 'a hex SHA-256');
const fileName = is((v) => typeof v === 'string' && SAFE_NAME.test(v), 'a file name inside the bundle');
const oneOf = (...values: string[]) =>
  is((v) => values.includes(v as string), `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`);

const orNull =
  (check: Check): Check =>
  (value, path, problems) => {
    if (value !== null) check(value, path, problems);
  };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const object =
  (shape: Record<string, Check>): Check =>
  (value, path, problems) => {
    if (!isRecord(value)) return void problems.push(`${path} is not an object`);
    for (const [key, check] of Object.entries(shape)) check(value[key], `${path}.${key}`, problems);
  };

const hashes: Check = (value, path, problems) => {
  if (!Array.isArray(value) || value.length > MAX_RANGE)
    return void problems.push(`${path} is not a list of at most ${MAX_RANGE} hashes`);
  value.forEach((item, i) => hash(item, `${path}[${i}]`, problems));
};

/** `files`: plain names (neither the manifest nor its seal) to their stored SHA-256 and length. */
const files: Check = (value, path, problems) => {
  if (!isRecord(value)) return void problems.push(`${path} is not an object`);
  for (const [name, entry] of Object.entries(value)) {
    if (!SAFE_NAME.test(name) || name === MANIFEST_FILE || name === SEAL_FILE)
      problems.push(`${path} names a file outside the bundle or the manifest itself`);
    else object({ sha256: hash, bytes: count })(entry, `${path}.${name}`, problems);
  }
};

const manifestShape = object({
  format: oneOf(BUNDLE_FORMAT),
  kind: oneOf('export', 'archive'),
  origin: text,
  createdAt: text,
  selection: object({ from: text, to: text, entityType: orNull(text), tenantId: orNull(text) }),
  events: object({
    file: fileName,
    format: oneOf('ndjson', 'csv'),
    count,
    firstGlobalSeq: orNull(count),
    lastGlobalSeq: orNull(count),
  }),
  leaves: object({ file: fileName, from: count, to: count, root: hash }),
  proofs: object({ file: fileName, count }),
  anchor: object({ size: count, range: hashes, note: orNull(text) }),
  previousManifestSha256: orNull(hash),
  partition: orNull(object({ name: text, periodStart: text, periodEnd: text })),
  files,
});

/**
 * Why `value` (parsed manifest.json) is not a manifest this verifier reads: every member the
 * walk touches has its type, the three data files are named in `files`, and the leaves run
 * forwards. Empty when it is one. Written by hand, as the library's other input checks are
 * (sealable-event.ts): class-validator wants decorated classes and class-transformer for a plain
 * document of nested records, and this shape is small and frozen by the format. The problems name
 * members, never their values, so a hostile manifest is not echoed back.
 */
export function manifestProblems(value: unknown): string[] {
  const problems: string[] = [];
  manifestShape(value, 'manifest', problems);
  if (problems.length) return problems;
  const manifest = value as BundleManifest;
  for (const part of ['events', 'leaves', 'proofs'] as const)
    if (!Object.hasOwn(manifest.files, manifest[part].file))
      problems.push(`manifest.${part}.file is not one of manifest.files`);
  if (manifest.leaves.from > manifest.leaves.to) problems.push('manifest.leaves.from is after leaves.to');
  return problems;
}

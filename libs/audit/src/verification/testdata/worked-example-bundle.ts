/** The worked example of docs/integrity.md §16, built with the library's pure functions (no database). */
import { hash } from 'node:crypto';
import { canonicalJsonText } from '../../crypto/canonical-json';
import { signCheckpoint } from '../../crypto/checkpoint';
import { rangeRoot } from '../../crypto/compact-range';
import { EVENT_HASH_ALG, eventHash, GENESIS_HASH, hashedEventFields } from '../../crypto/event-hash';
import { entityKey } from '../../crypto/head-map';
import { headLine, movedHeads, movedLine } from '../../crypto/log-statements';
import { merkleLeafHash, merkleNodeHash } from '../../crypto/merkle';
import { formatVerifierKey, noteSignerFromSeed } from '../../crypto/signed-note';
import type { SealedAuditEvent } from '../../events/audit-event';
import {
  BUNDLE_FORMAT,
  KEYS_FILE,
  MANIFEST_FILE,
  SEAL_FILE,
  sealLine,
  type BundleManifest,
  type BundleProof,
} from '../../export/bundle-manifest';
import { DirectoryBundleStore } from '../../export/bundle-store';
import { toEcsDocument } from '../../export/ecs-document';
import { encodeEvents } from '../../export/event-file';
import { formatPublishedKeys } from '../../keys/published-keys';
import type { SigningKeyRecord } from '../../keys/signing-key-record';
import {
  EXAMPLE_EVENTS,
  EXAMPLE_EXPORTED_AT,
  EXAMPLE_KEY_NOT_BEFORE,
  EXAMPLE_KEY_SET,
  EXAMPLE_ORIGIN,
  EXAMPLE_SEALED_AT,
  EXAMPLE_SEED,
  EXAMPLE_SELECTION,
} from './worked-example';

const sha256 = (data: string | Buffer) => hash('sha256', data, 'buffer');
const hex = (b: Buffer) => b.toString('hex');
const lines = (rows: [string, string][]) => {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
};
const collect = async (chunks: AsyncIterable<string>) => {
  let text = '';
  for await (const chunk of chunks) text += chunk;
  return text;
};

/** Everything the example shows, computed step by step with the library's pure functions. */
export async function computeExample(dir: string) {
  const signer = noteSignerFromSeed(EXAMPLE_ORIGIN, EXAMPLE_SEED);
  const keyId = hex(signer.keyId);
  const key: SigningKeyRecord = {
    keyId,
    keySetId: EXAMPLE_KEY_SET,
    name: EXAMPLE_ORIGIN,
    algorithm: 'ed25519',
    verifierKey: formatVerifierKey(signer),
    notBefore: new Date(EXAMPLE_KEY_NOT_BEFORE),
    notAfter: null,
    status: 'ACTIVE',
    compromisedAt: null,
  };

  // The event chain (§2): each event hashes its predecessor's hash, the first one genesis.
  const canonical: string[] = [];
  const hashes: Buffer[] = [];
  EXAMPLE_EVENTS.forEach((event, i) => {
    const prev = i === 0 ? GENESIS_HASH : hashes[i - 1];
    canonical.push(canonicalJsonText(hashedEventFields(event, i + 1, prev)));
    hashes.push(eventHash(event, i + 1, prev));
  });
  const leaves = hashes.map(merkleLeafHash);
  const root = merkleNodeHash(leaves[0], leaves[1]);
  const last = EXAMPLE_EVENTS[1];
  const entity = entityKey(last.entityType, last.entityId);
  // Format v2 (§6): the sealing transaction moved one chain head, so its tree has one leaf.
  const head = headLine({ key: entity, chainSeq: 2, hash: hashes[1] });
  const { moved } = movedHeads([{ key: entity, chainSeq: 2, hash: hashes[1] }]);
  const batchStatement = signCheckpoint(
    {
      origin: EXAMPLE_ORIGIN,
      size: 2,
      root,
      time: new Date(EXAMPLE_SEALED_AT),
      extensions: [movedLine(moved)],
    },
    signer,
  );

  // The bundle, written the way AuditExporter writes one, through the same bundle store.
  const sealed: SealedAuditEvent[] = EXAMPLE_EVENTS.map((event, i) => {
    const fields = hashedEventFields(event, i + 1, i === 0 ? GENESIS_HASH : hashes[i - 1]);
    return {
      ...fields,
      operationId: fields.operationId ?? null,
      origin: fields.origin ?? null,
      database: fields.database ?? null,
      globalSeq: i + 1,
      hashAlg: EVENT_HASH_ALG,
      hash: hex(hashes[i]),
      recordedAt: EXAMPLE_SEALED_AT,
      batchTreeSize: 2,
      keyId,
      keySetId: EXAMPLE_KEY_SET,
      integrity: `${EXAMPLE_KEY_SET}::${keyId}::${EVENT_HASH_ALG}::${hex(hashes[i])}`,
    };
  });
  const store = new DirectoryBundleStore(dir);
  const proof: BundleProof = {
    type: 'batch',
    treeSize: 2,
    note: batchStatement,
    moved: { index: 0, proof: [], key: hex(entity), chainSeq: 2 },
  };
  const contents: Record<string, string> = {
    'leaves.txt': `${hashes.map(hex).join('\n')}\n`,
    'events.ndjson': await collect(
      encodeEvents(
        (async function* () {
          yield* sealed.map(toEcsDocument);
        })(),
        'ndjson',
      ),
    ),
    'proofs.ndjson': `${JSON.stringify(proof)}\n`,
    [KEYS_FILE]: formatPublishedKeys([key]),
  };
  const files: BundleManifest['files'] = {};
  for (const [name, text] of Object.entries(contents)) files[name] = await store.write(name, [text]);
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    kind: 'export',
    origin: EXAMPLE_ORIGIN,
    createdAt: EXAMPLE_EXPORTED_AT,
    selection: EXAMPLE_SELECTION,
    events: { file: 'events.ndjson', format: 'ndjson', count: 2, firstGlobalSeq: 1, lastGlobalSeq: 2 },
    leaves: { file: 'leaves.txt', from: 0, to: 2, root: hex(root) },
    proofs: { file: 'proofs.ndjson', count: 1 },
    anchor: { size: 0, range: [], note: null },
    previousManifestSha256: null,
    partition: null,
    files,
  };
  const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
  const manifestSha256 = hex(sha256(manifestText));
  const seal = signCheckpoint(
    {
      origin: EXAMPLE_ORIGIN,
      size: 2,
      root,
      time: new Date(EXAMPLE_EXPORTED_AT),
      extensions: [sealLine(manifestSha256)],
    },
    signer,
  );
  await store.write(MANIFEST_FILE, [manifestText]);
  await store.write(SEAL_FILE, [seal]);

  const blocks: Record<string, string> = {
    key: lines([
      ['seed', hex(EXAMPLE_SEED)],
      ['public key', hex(signer.publicKey)],
      ['key id', keyId],
      ['verifier key', key.verifierKey],
    ]),
    'event-1-jcs': canonical[0],
    'event-2-jcs': canonical[1],
    hashes: lines([
      ['event 1 hash = SHA-256("audit/v1.1" || 0x00 || JCS 1)', hex(hashes[0])],
      ['event 2 hash = SHA-256("audit/v1.1" || 0x00 || JCS 2)', hex(hashes[1])],
      ['leaf 0       = SHA-256(0x00 || event 1 hash)', hex(leaves[0])],
      ['leaf 1       = SHA-256(0x00 || event 2 hash)', hex(leaves[1])],
      ['root         = SHA-256(0x01 || leaf 0 || leaf 1)', hex(root)],
      ['root, base64', root.toString('base64')],
      ['entity key   = SHA-256(["Invoice","inv-1"])', hex(entity)],
      ['moved leaf   = SHA-256(0x00 || head line)', hex(moved.root)],
      ['moved root   = moved leaf (one head), base64', moved.root.toString('base64')],
      ['empty tree   = SHA-256("")', hex(rangeRoot([]))],
    ]),
    'head-line': head,
    'batch-statement': batchStatement.slice(0, -1),
    'manifest-sha256': manifestSha256,
  };
  for (const [name, text] of Object.entries({
    ...contents,
    [MANIFEST_FILE]: manifestText,
    [SEAL_FILE]: seal,
  }))
    blocks[name] = text.slice(0, -1);
  return { blocks, canonical, hashes, leaves, root, entity, store, key };
}

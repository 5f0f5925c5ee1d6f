import { InvalidCheckpointError } from '../errors/invalid-checkpoint.error';

// The extension lines this library adds to the C2SP checkpoint body (after the `time` line).
// Tools that only know tlog-checkpoint ignore them; audit verifiers require them.

/** The entity head a batch statement vouches for. */
export interface EntityHead {
  /** head-map `entityKey(entityType, entityId)`. */
  key: Buffer;
  chainSeq: number;
  hash: Buffer;
}

/** `head <hex entity key> <chain seq> <hex head hash>`: the last line of a batch statement. */
export function headLine(head: EntityHead): string {
  return `head ${head.key.toString('hex')} ${head.chainSeq} ${head.hash.toString('hex')}`;
}

/** `heads <base64 entity-heads map root>`: the last line of a checkpoint. */
export function headsLine(root: Buffer): string {
  return `heads ${root.toString('base64')}`;
}

export function parseHeadLine(extensions: string[]): EntityHead {
  const match =
    extensions.length === 1
      ? /^head ([0-9a-f]{64}) ([1-9][0-9]{0,15}) ([0-9a-f]{64})$/.exec(extensions[0])
      : null;
  if (!match) throw new InvalidCheckpointError('A batch statement ends with one `head` line.');
  return {
    key: Buffer.from(match[1], 'hex'),
    chainSeq: Number(match[2]),
    hash: Buffer.from(match[3], 'hex'),
  };
}

export function parseHeadsLine(extensions: string[]): Buffer {
  const match = extensions.length === 1 ? /^heads ([A-Za-z0-9+/]{43}=)$/.exec(extensions[0]) : null;
  const root = match && Buffer.from(match[1], 'base64');
  if (!root || root.toString('base64') !== match[1])
    throw new InvalidCheckpointError('A checkpoint ends with one `heads` line.');
  return root;
}

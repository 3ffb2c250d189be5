/**
 * C2SP tlog checkpoints (c2sp.org/tlog-checkpoint): the signed note whose text is
 * `<origin>\n<tree size>\n<base64 root hash>\n` and optional extension lines, kept but not read.
 */
import type { NoteSigner, NoteVerifier, OpenedNote } from './note.js';
// One rule shared with libs/config, which computes the configured default from it.
export { defaultOrigin } from '#domain';
import { decodeBase64, openNote, signNote } from './note.js';

export const ROOT_HASH_BYTES = 32;

export class CheckpointError extends Error {
  constructor(
    readonly code: 'malformed_checkpoint' | 'wrong_origin',
    message: string,
  ) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export interface Checkpoint {
  readonly origin: string;
  /** The number of leaves in the tree. */
  readonly size: number;
  /** The RFC 9162 Merkle tree hash at that size. */
  readonly rootHash: Uint8Array;
  /** Opaque lines after the root hash, each non-empty. */
  readonly extensions?: readonly string[];
}

export interface OpenedCheckpoint {
  readonly checkpoint: Checkpoint;
  readonly note: OpenedNote;
}

export function formatCheckpoint(checkpoint: Checkpoint): string {
  const { origin, size, rootHash, extensions = [] } = checkpoint;
  if (!isLine(origin)) fail('origin must be a non-empty line');
  if (!Number.isSafeInteger(size) || size < 0) fail('tree size must be a non-negative integer');
  if (rootHash.length !== ROOT_HASH_BYTES) fail(`root hash must be ${ROOT_HASH_BYTES} bytes`);
  if (!extensions.every(isLine)) fail('extension lines must be non-empty lines');
  const root = Buffer.from(rootHash).toString('base64');
  return [origin, String(size), root, ...extensions].map((line) => `${line}\n`).join('');
}

/** Strict: the inverse of formatCheckpoint, nothing else parses. */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) fail('checkpoint must end with a newline');
  const [origin, size, root, ...extensions] = text.slice(0, -1).split('\n');
  if (origin === undefined || origin === '') fail('origin must be non-empty');
  if (size === undefined || !/^(0|[1-9][0-9]*)$/.test(size)) {
    fail('tree size must be a decimal without leading zeros');
  }
  const treeSize = Number(size);
  if (!Number.isSafeInteger(treeSize)) fail('tree size is too large');
  const rootHash = root === undefined ? undefined : decodeBase64(root);
  if (rootHash?.length !== ROOT_HASH_BYTES) {
    fail(`root hash must be the base64 of ${ROOT_HASH_BYTES} bytes`);
  }
  if (extensions.some((line) => line === '')) fail('extension lines must be non-empty');
  return { origin, size: treeSize, rootHash, extensions };
}

export function signCheckpoint(checkpoint: Checkpoint, signers: readonly NoteSigner[]): string {
  return signNote(formatCheckpoint(checkpoint), signers);
}

/**
 * Verifies the note (NoteError when it fails), then parses its text; with `origin`, also
 * refuses a checkpoint of another log signed by a key we happen to trust.
 */
export function openCheckpoint(
  signed: string | Uint8Array,
  verifiers: readonly NoteVerifier[],
  expect: { origin?: string } = {},
): OpenedCheckpoint {
  const note = openNote(signed, verifiers);
  const checkpoint = parseCheckpoint(note.text);
  if (expect.origin !== undefined && checkpoint.origin !== expect.origin) {
    throw new CheckpointError('wrong_origin', `checkpoint origin is not ${expect.origin}`);
  }
  return { checkpoint, note };
}

function isLine(line: string): boolean {
  return line !== '' && !line.includes('\n');
}

function fail(message: string): never {
  throw new CheckpointError('malformed_checkpoint', message);
}

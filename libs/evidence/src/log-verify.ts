import type { AuditEvent, Hash, NoteVerifier } from '#audit-log';
import {
  CompactRange,
  EMPTY_ROOT,
  GENESIS_HASH,
  decodeBase64,
  eventLeafHash,
  hashEvent,
  openCheckpoint,
  parseVerifierKey,
  verifyConsistency,
} from '#audit-log';

/**
 * Why a log does not verify offline. Chain: an event changed (`altered`) or absent (`missing`).
 * Checkpoints: the latest is not signed by the log key (`checkpoint_invalid`), the log holds
 * fewer events than it counts (`truncated`) or its root is not the one signed
 * (`checkpoint_mismatch`); the saved one does not open with the same key and origin
 * (`saved_checkpoint_invalid`), is larger than the log or its latest checkpoint (`shorter`), or
 * the log's tree at its size is not the one it signed (`rewritten`).
 */
export type LogBreak =
  | 'altered'
  | 'missing'
  | 'truncated'
  | 'checkpoint_invalid'
  | 'checkpoint_mismatch'
  | 'saved_checkpoint_invalid'
  | 'shorter'
  | 'rewritten';

/** A checkpoint opened with the log key: the tree it signs. */
export interface SignedTree {
  origin: string;
  size: number;
  /** base64, as in the note. */
  rootHash: string;
}

export interface OfflineLogReport {
  ok: boolean;
  /** Events replayed in seq order (up to the first break). */
  events: number;
  /** The hash of the last event replayed (the genesis hash for none). */
  head: string;
  /** The Merkle root over the events replayed, base64. */
  rootHash: string;
  checkpoint?: SignedTree;
  saved?: SignedTree;
  brokenAt?: number;
  reason?: LogBreak;
  /** The reason in words, for people. */
  detail?: string;
}

export class LogCheckFailure extends Error {
  constructor(
    readonly reason: LogBreak,
    message: string,
    readonly brokenAt?: number,
  ) {
    super(message);
    this.name = 'LogCheckFailure';
  }
}

/** Keys of one log, one verifier key a line, at most this many (a log rotates its key rarely). */
const MAX_LOG_KEYS = 100;

/**
 * The log's keys (C2SP note verifier keys, one a line: after a rotation, checkpoints signed by an
 * earlier key still open); `checkpoint_invalid` when a line is not one or they name two logs.
 */
export function logVerifiers(vkeys: string): NoteVerifier[] {
  const lines = vkeys
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (lines.length === 0 || lines.length > MAX_LOG_KEYS) {
    throw new LogCheckFailure('checkpoint_invalid', 'the log key is not a note verifier key');
  }
  const verifiers = lines.map((line) => {
    try {
      return parseVerifierKey(line);
    } catch {
      throw new LogCheckFailure('checkpoint_invalid', 'the log key is not a note verifier key');
    }
  });
  if (verifiers.some((verifier) => verifier.name !== verifiers[0].name)) {
    throw new LogCheckFailure('checkpoint_invalid', 'the log keys name more than one log');
  }
  return verifiers;
}

/**
 * Opens a checkpoint signed by one of the log's keys, for the log they name (a key's name is
 * the log's origin). `saved` words the failure for a checkpoint kept from an earlier run.
 */
export function openLogCheckpoint(
  note: string,
  verifiers: readonly NoteVerifier[],
  which: 'latest' | 'saved' = 'latest',
): SignedTree {
  try {
    const { checkpoint } = openCheckpoint(note, verifiers, { origin: verifiers[0]?.name });
    return {
      origin: checkpoint.origin,
      size: checkpoint.size,
      rootHash: Buffer.from(checkpoint.rootHash).toString('base64'),
    };
  } catch (error) {
    const why = error instanceof Error ? error.message : 'unreadable';
    throw which === 'latest'
      ? new LogCheckFailure('checkpoint_invalid', `checkpoint does not verify (${why})`)
      : new LogCheckFailure(
          'saved_checkpoint_invalid',
          `saved checkpoint does not verify with the log key (${why})`,
        );
  }
}

/**
 * Replays the log's events in seq order: the hash chain (docs/api.md §5) and the Merkle tree,
 * one leaf per event, keeping the tree's root at each size asked for as it passes. Memory is
 * O(log n) whatever the log's length.
 */
export class LogReplay {
  private readonly tree = new CompactRange();
  private readonly roots = new Map<number, Hash>();
  private headHash = GENESIS_HASH;

  constructor(private readonly sizes: readonly number[]) {
    if (sizes.includes(0)) this.roots.set(0, EMPTY_ROOT);
  }

  get events(): number {
    return this.tree.size;
  }

  get head(): string {
    return this.headHash;
  }

  rootHash(): string {
    return Buffer.from(this.tree.root()).toString('base64');
  }

  /** The root when the log had `size` events, if that size was asked for and reached. */
  rootAt(size: number): string | undefined {
    const root = this.roots.get(size);
    return root && Buffer.from(root).toString('base64');
  }

  /** Throws LogCheckFailure at the first event that does not link. */
  add(event: AuditEvent): void {
    const expected = this.tree.size + 1;
    if (event.seq !== expected) {
      throw new LogCheckFailure(
        'missing',
        `chain break at seq ${expected}: event missing`,
        expected,
      );
    }
    const { hash, ...unhashed } = event;
    if (event.prevHash !== this.headHash || hashEvent(unhashed) !== hash) {
      throw new LogCheckFailure(
        'altered',
        `chain break at seq ${expected}: event altered`,
        expected,
      );
    }
    this.tree.append(eventLeafHash(event));
    this.headHash = hash;
    if (this.sizes.includes(this.tree.size)) this.roots.set(this.tree.size, this.tree.root());
  }
}

export interface OfflineLogInput {
  /** The log's keys, `<origin>+<key id>+<base64>`, one a line (every key after rotations). */
  vkeys: string;
  /** The latest checkpoint, as GET /v1/audit/checkpoint served it. */
  checkpoint: string;
  /** A checkpoint kept from an earlier run, to prove the log only grew since. */
  saved?: string;
  /**
   * The log's RFC 9162 consistency proof from the saved checkpoint's size to the latest's,
   * base64 hashes; asked for once both are open (`sizes`), so it may be fetched lazily.
   */
  consistencyProof?: (from: number, to: number) => Promise<readonly string[]>;
  /** Every event of the log, in seq order. */
  events: AsyncIterable<AuditEvent>;
}

/**
 * Checks a log with nothing but its key: every event links to the one before it, the latest
 * checkpoint is signed by the key and its root is the root of the events' tree at its size
 * (the log may have grown since), and a saved checkpoint is a prefix of the log twice over:
 * the tree rebuilt from the events has the saved root at the saved size, and the log's own
 * consistency proof to the latest checkpoint verifies (RFC 9162 §2.1.4.2).
 */
export async function verifyLogOffline(input: OfflineLogInput): Promise<OfflineLogReport> {
  let replay = new LogReplay([]);
  let checkpoint: SignedTree | undefined;
  let saved: SignedTree | undefined;
  const report = (failure?: LogCheckFailure): OfflineLogReport => ({
    ok: failure === undefined,
    events: replay.events,
    head: replay.head,
    rootHash: replay.rootHash(),
    ...(checkpoint ? { checkpoint } : {}),
    ...(saved ? { saved } : {}),
    ...(failure?.brokenAt === undefined ? {} : { brokenAt: failure.brokenAt }),
    ...(failure ? { reason: failure.reason, detail: failure.message } : {}),
  });
  try {
    const verifiers = logVerifiers(input.vkeys);
    checkpoint = openLogCheckpoint(input.checkpoint, verifiers);
    saved =
      input.saved === undefined ? undefined : openLogCheckpoint(input.saved, verifiers, 'saved');
    if (saved && saved.size > checkpoint.size) {
      throw new LogCheckFailure(
        'shorter',
        `log is shorter than the saved checkpoint (size ${saved.size}): its latest checkpoint is of size ${checkpoint.size}`,
      );
    }
    const proof = saved && (await input.consistencyProof?.(saved.size, checkpoint.size));
    replay = new LogReplay(saved ? [checkpoint.size, saved.size] : [checkpoint.size]);
    for await (const event of input.events) replay.add(event);
    checkSavedPrefix(replay, saved);
    checkLatest(replay, checkpoint);
    if (saved && proof) checkConsistency(saved, checkpoint, proof);
    return report();
  } catch (error) {
    if (error instanceof LogCheckFailure) return report(error);
    throw error;
  }
}

function checkSavedPrefix(replay: LogReplay, saved: SignedTree | undefined): void {
  if (!saved) return;
  if (replay.events < saved.size) {
    throw new LogCheckFailure(
      'shorter',
      `log is shorter than the saved checkpoint (size ${saved.size}): ${replay.events} events`,
      replay.events + 1,
    );
  }
  if (replay.rootAt(saved.size) !== saved.rootHash) {
    throw new LogCheckFailure(
      'rewritten',
      `log was rewritten since the saved checkpoint (size ${saved.size}): its events no longer hash to the saved root`,
    );
  }
}

function checkLatest(replay: LogReplay, checkpoint: SignedTree): void {
  if (replay.events < checkpoint.size) {
    throw new LogCheckFailure(
      'truncated',
      `log is shorter than its checkpoint (size ${checkpoint.size}): ${replay.events} events`,
      replay.events + 1,
    );
  }
  if (replay.rootAt(checkpoint.size) !== checkpoint.rootHash) {
    throw new LogCheckFailure(
      'checkpoint_mismatch',
      `checkpoint does not verify: the events' tree at size ${checkpoint.size} is not the one signed`,
    );
  }
}

function checkConsistency(
  saved: SignedTree,
  checkpoint: SignedTree,
  proof: readonly string[],
): void {
  const hashes = decodeHashes(proof);
  const [oldRoot, newRoot] = decodeHashes([saved.rootHash, checkpoint.rootHash]) ?? [];
  const valid =
    hashes !== undefined &&
    oldRoot !== undefined &&
    newRoot !== undefined &&
    verifyConsistency(saved.size, checkpoint.size, hashes, oldRoot, newRoot);
  if (!valid) {
    throw new LogCheckFailure(
      'rewritten',
      `log was rewritten since the saved checkpoint (size ${saved.size}): the log's consistency proof to size ${checkpoint.size} does not verify`,
    );
  }
}

/** Base64 hashes as bytes; undefined if any is not canonical base64 (the verifiers check sizes). */
export function decodeHashes(hashes: readonly string[]): Hash[] | undefined {
  const decoded = hashes.map((hash) => decodeBase64(hash));
  return decoded.every((hash): hash is Buffer => hash !== undefined) ? decoded : undefined;
}

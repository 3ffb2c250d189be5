import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { OfflineLogReport } from '#evidence';
import type { AuditEvent, Page } from './api-types.js';
import type { BrokerClient } from './broker-client.js';
import type { Context } from './context.js';
import { CliError, ExitCode, usageError } from './exit-codes.js';

/** What `GET /v1/audit` serves per page at most (docs/api.md §4). */
const PAGE = 200;
/** A checkpoint is a few lines: its origin, size, root and a signature or two. */
const MAX_CHECKPOINT_BYTES = 64 * 1024;
/** A consistency proof has at most 2 log2(n) hashes; n < 2^53. */
const MAX_PROOF_HASHES = 128;

/**
 * The audit log checked with nothing but its key: the key, the latest checkpoint and every
 * event are downloaded, and the chain, the Merkle tree and the checkpoint's signature and root
 * are recomputed here. With a saved checkpoint, the log must still hold it as a prefix (by the
 * events, and by the log's own consistency proof).
 */
export async function checkLogOffline(
  ctx: Context,
  client: BrokerClient,
  saved: string | undefined,
  /** The log's keys pinned by the caller (`--log-key`); every key the broker publishes otherwise. */
  pinnedKeys?: string,
): Promise<{ report: OfflineLogReport; checkpoint: string }> {
  const vkeys = pinnedKeys ?? (await ctx.anonymous().text('/.well-known/countersign-log-keys'));
  const checkpoint = await client.text('/v1/audit/checkpoint');
  // Loaded here only: the verifiers bring node:crypto hashing and zod, no other command needs them.
  const { verifyLogOffline } = await import('#evidence');
  const report = await verifyLogOffline({
    vkeys,
    checkpoint,
    saved,
    consistencyProof: (from, to) => consistencyProof(client, from, to),
    events: allEvents(client),
  });
  return { report, checkpoint };
}

/** Every event of the log, oldest first, a page at a time (cursor = the last seq seen). */
async function* allEvents(client: BrokerClient): AsyncGenerator<AuditEvent> {
  let cursor: string | undefined;
  do {
    const page = await client.get<Page<AuditEvent>>('/v1/audit', { limit: PAGE, cursor });
    if (!Array.isArray(page.items)) throw unexpected('/v1/audit');
    yield* page.items;
    cursor = page.nextCursor;
  } while (cursor);
}

async function consistencyProof(
  client: BrokerClient,
  from: number,
  to: number,
): Promise<readonly string[]> {
  const answer = await client.get<{ from?: unknown; to?: unknown; proof?: unknown }>(
    '/v1/audit/proof/consistency',
    { from, to },
  );
  const { proof } = answer;
  const wellFormed =
    answer.from === from &&
    answer.to === to &&
    Array.isArray(proof) &&
    proof.length <= MAX_PROOF_HASHES &&
    proof.every((hash) => typeof hash === 'string');
  if (!wellFormed) throw unexpected('/v1/audit/proof/consistency');
  return proof;
}

/** The checkpoint saved by an earlier run, or undefined when the file does not exist yet. */
export async function readSavedCheckpoint(file: string): Promise<string | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    throw usageError(`cannot read ${file} (${errorCode(error)})`);
  }
  if (bytes.length > MAX_CHECKPOINT_BYTES) {
    throw usageError(`${file} is larger than a checkpoint (${MAX_CHECKPOINT_BYTES} bytes at most)`);
  }
  return bytes.toString('utf8');
}

/** Replaces the file in one step (a temporary file beside it, renamed): never half a checkpoint. */
export async function saveCheckpoint(file: string, checkpoint: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, checkpoint, { mode: 0o644 });
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw usageError(`cannot write ${file} (${errorCode(error)})`);
  }
}

function unexpected(path: string): CliError {
  return new CliError(ExitCode.error, `unexpected answer from ${path}`, {
    code: 'unexpected_answer',
    hint: 'is --url a countersign broker?',
  });
}

function errorCode(error: unknown): string {
  return (error as { code?: string }).code ?? (error instanceof Error ? error.message : 'error');
}

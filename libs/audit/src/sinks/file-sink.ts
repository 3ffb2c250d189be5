import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import type { SinkBatch } from './batch.js';
import { inStreamOrder, recordJson } from './batch.js';
import type { AuditSink } from './sink.js';
import { SinkError, errorCode } from './sink.js';

// How far back a torn tail is looked for at most: one record is far smaller.
const MAX_TORN_TAIL = 16 * 1024 * 1024;
const TAIL_CHUNK = 64 * 1024;

/**
 * JSON Lines appended to a file this sink alone writes: one record per line (an event as its
 * leaf JSON, a checkpoint under a `checkpoint` key), the batch synced to disk before it counts as
 * delivered. The file is opened per batch, so a rotated file is simply started again.
 */
export class FileSink implements AuditSink {
  readonly kind = 'file';

  constructor(
    readonly name: string,
    private readonly path: string,
  ) {}

  async deliver(batch: SinkBatch, signal: AbortSignal): Promise<void> {
    const text = inStreamOrder(batch)
      .map((record) => `${recordJson(record)}\n`)
      .join('');
    let handle: FileHandle | undefined;
    try {
      signal.throwIfAborted();
      // Owner only: the log names every principal and resource.
      handle = await open(this.path, 'a+', 0o600);
      await dropTornTail(handle);
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } catch (error) {
      if (error instanceof SinkError) throw error;
      throw new SinkError(`file write failed (${errorCode(error)})`);
    } finally {
      await handle?.close().catch(() => undefined);
    }
  }
}

/**
 * A process killed in the middle of a write leaves part of a line at the end; that batch was not
 * counted as delivered and comes again, so the part is cut off rather than glued to what follows.
 */
async function dropTornTail(handle: FileHandle): Promise<void> {
  const { size } = await handle.stat();
  if (size === 0 || (await byteAt(handle, size - 1)) === 0x0a) return;
  let end = size;
  while (end > 0 && size - end < MAX_TORN_TAIL) {
    const start = Math.max(0, end - TAIL_CHUNK);
    const chunk = Buffer.alloc(end - start);
    await handle.read(chunk, 0, chunk.length, start);
    const newline = chunk.lastIndexOf(0x0a);
    if (newline >= 0) {
      await handle.truncate(start + newline + 1);
      return;
    }
    end = start;
  }
  if (end === 0) await handle.truncate(0);
  else throw new SinkError('the file ends with an over-long partial line');
}

async function byteAt(handle: FileHandle, position: number): Promise<number> {
  const one = Buffer.alloc(1);
  await handle.read(one, 0, 1, position);
  return one[0];
}

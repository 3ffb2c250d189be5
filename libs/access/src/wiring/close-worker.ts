import type { Logger } from '@nestjs/common';
import type { Worker } from 'bullmq';
import { TIMED_OUT, waitAtMost } from '../wait-at-most.js';

/** How long a forced close waits for the worker's connections to drop and its loop to end. */
const FORCED_CLOSE_MS = 5000;

/**
 * Stops a BullMQ worker: gracefully (the job in hand finishes) for up to `graceMs`, then by
 * dropping its Redis connections. A close can only outlast the grace when Redis is unreachable:
 * with `maxRetriesPerRequest: null` the worker's next fetch, or the job's completion, waits in
 * ioredis's offline queue for a Redis that may not come back, and the process would never stop.
 * Dropping the connections rejects those commands; a job left active in Redis is retried after
 * its lock lapses (ending grants is idempotent) and the sweep ends its grants meanwhile.
 */
export async function closeWorker(
  worker: Worker,
  graceMs: number,
  logger: Pick<Logger, 'warn' | 'error'>,
): Promise<'closed' | 'forced' | 'stuck'> {
  const closing = worker.close();
  if ((await waitAtMost(closing, graceMs)) !== TIMED_OUT) return 'closed';
  logger.warn(
    `the worker did not stop within ${graceMs} ms (Redis unreachable?): dropping its connections`,
  );
  const dropped = waitAtMost(worker.disconnect(), FORCED_CLOSE_MS);
  if ((await dropped) !== TIMED_OUT && (await waitAtMost(closing, FORCED_CLOSE_MS)) !== TIMED_OUT) {
    return 'forced';
  }
  logger.error('the worker still did not stop after its connections were dropped');
  return 'stuck';
}

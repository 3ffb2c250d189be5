import { Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { RevocationScheduler } from './revocation-scheduler.js';
import { distinctBuckets } from './revocation-scheduler.js';

export const REVOCATION_QUEUE = 'revocations';
export const EXPIRE_JOB = 'expire';

// A failed run is retried by BullMQ with this capped backoff (see revocation.processor.ts);
// attempts are effectively unlimited because giving up would leave access in place.
export const JOB_ATTEMPTS = 1_000_000;
export const CAPPED_BACKOFF = 'capped';
// An add that cannot reach Redis must not hold up a mint: the sweep covers whatever is missed.
const ADD_TIMEOUT_MS = 1000;

export function jobIdFor(bucket: number): string {
  // Deterministic per bucket, so scheduling twice never doubles a job. No ':' (BullMQ 6).
  return `expire-${bucket}`;
}

/** BullMQ delayed jobs, one per expiry bucket, carrying only the instant they serve. */
export class BullmqRevocationScheduler implements RevocationScheduler {
  private readonly logger = new Logger('RevocationQueue');
  /** Buckets whose add failed (Redis down): retried on every reconcile until Redis answers. */
  private readonly unsent = new Set<number>();

  constructor(private readonly queue: Queue) {}

  async schedule(instants: readonly Date[]): Promise<void> {
    const buckets = distinctBuckets(instants);
    try {
      await withTimeout(this.add(buckets), ADD_TIMEOUT_MS);
    } catch (error) {
      for (const bucket of buckets) this.unsent.add(bucket);
      this.logger.warn(
        `could not schedule ${buckets.length} revocation job(s), will retry: ${describe(error)}`,
      );
    }
  }

  /**
   * Re-adds jobs that Redis lost (FLUSHALL, a restart without persistence, eviction) and those
   * never sent. Adding an existing job id is a no-op, so when in doubt everything is re-added.
   */
  async reconcile(futureExpiries: readonly Date[]): Promise<void> {
    const expected = distinctBuckets(futureExpiries).filter((bucket) => bucket > Date.now());
    const counts = await withTimeout(
      this.queue.getJobCounts('delayed', 'waiting', 'active', 'prioritized'),
      ADD_TIMEOUT_MS,
    );
    const queued = Object.values(counts).reduce((sum, count) => sum + count, 0);
    const missing = queued < expected.length ? expected : [];
    const retry = [...this.unsent];
    this.unsent.clear();
    const buckets = [...new Set([...missing, ...retry])];
    if (buckets.length === 0) return;
    try {
      await withTimeout(this.add(buckets), ADD_TIMEOUT_MS * 5);
    } catch (error) {
      for (const bucket of buckets) this.unsent.add(bucket);
      throw error;
    }
    this.logger.warn(`re-created ${buckets.length} revocation job(s) missing from Redis`);
  }

  /** Removes a bucket's job when its last grant ended early; a concurrent mint re-adds it. */
  async release(bucket: number): Promise<void> {
    await this.queue.remove(jobIdFor(bucket));
  }

  private async add(buckets: readonly number[]): Promise<void> {
    const now = Date.now();
    for (let i = 0; i < buckets.length; i += 1000) {
      await this.queue.addBulk(
        buckets.slice(i, i + 1000).map((bucket) => ({
          name: EXPIRE_JOB,
          data: { dueAt: bucket },
          opts: {
            jobId: jobIdFor(bucket),
            delay: Math.max(0, bucket - now),
            attempts: JOB_ATTEMPTS,
            backoff: { type: CAPPED_BACKOFF },
            removeOnComplete: true,
            removeOnFail: 1000,
          },
        })),
      );
    }
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
